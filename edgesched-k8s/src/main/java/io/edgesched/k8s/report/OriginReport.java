package io.edgesched.k8s.report;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One node's bounded summary of who reaches the workloads it serves: exactly one per node,
 * named after the node, in the edgesched namespace. Written by the node agent, read by the controller.
 * The schema lives in {@code deploy/crd-originreport.yaml}; a test keeps the two in step.
 */
@Group(OriginReport.GROUP)
@Version(OriginReport.VERSION)
@Kind(OriginReport.KIND)
@Plural(OriginReport.PLURAL)
@Singular("originreport")
public final class OriginReport extends CustomResource<OriginReportSpec, OriginReportStatus> implements Namespaced {
    public static final String GROUP = "edgesched.io";
    public static final String VERSION = "v1alpha1";
    public static final String KIND = "OriginReport";
    public static final String PLURAL = "originreports";
    public static final String CRD_NAME = PLURAL + "." + GROUP;
}
