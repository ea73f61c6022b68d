package io.edgesched.k8s.move;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Records core/v1 Events on the moved Deployment. Best effort: a failed write is logged, never fatal. */
final class MoveEvents {
    private static final Logger LOG = LoggerFactory.getLogger(MoveEvents.class);
    static final String COMPONENT = "edgesched";
    private static final int MAX_MESSAGE = 1024;

    private final KubernetesClient client;
    private final Clock clock;
    private final String instance;

    MoveEvents(KubernetesClient client, Clock clock, String instance) {
        this.client = client;
        this.clock = clock;
        this.instance = instance;
    }

    void record(Deployment d, boolean warning, String reason, String message) {
        String ns = d.getMetadata().getNamespace();
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        String text = message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 3) + "...";
        Event e = new EventBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(d.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis())
                        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000)))
                .endMetadata()
                .withNewInvolvedObject()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withNamespace(ns)
                .withName(d.getMetadata().getName())
                .withUid(d.getMetadata().getUid())
                .withResourceVersion(d.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(warning ? "Warning" : "Normal")
                .withReason(reason)
                .withMessage(text)
                .withAction("Move")
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .withReportingInstance(instance)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build();
        try {
            client.v1().events().inNamespace(ns).resource(e).create();
        } catch (RuntimeException ex) {
            LOG.warn("could not record event {} on Deployment {}/{}: {} (message was: {})", reason, ns,
                    d.getMetadata().getName(), ApiCaller.rootMessage(ex), text);
        }
    }
}
