package io.edgesched.k8s.lite;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Builds the fabric8 model objects {@link io.edgesched.k8s.topology.ClusterSnapshot#of} reads from parsed JSON trees
 * (object = Map, array = List, integer = Long, other number = Double), without Jackson.
 *
 * <p>Sets only the fields the snapshot reads, plus metadata uid and resourceVersion for the watch cache; top-level
 * annotations are left out (last-applied-configuration would stay in memory for every cached object). As with
 * Jackson, an absent key keeps the POJO default (empty list or map, else null), an explicit null sets null, unknown
 * keys are ignored.
 *
 * <p>Refused with an {@link IllegalArgumentException} naming the path: a value of the wrong type, an integer outside
 * int range, a null inside an array or string map, and a missing field the snapshot dereferences unchecked
 * (metadata, metadata.name, node address type and address, owner reference kind and name, selector requirement key
 * and operator, service port): one bad object is dropped instead of failing every snapshot while it is cached.
 */
public final class ModelMapping {
    private ModelMapping() {
    }

    /** Turns one JSON value at a path into a model value; never called with null. */
    @FunctionalInterface
    private interface Converter<T> {
        T convert(Object json, String path);
    }

    public static Node node(Map<String, Object> json) {
        Node node = new Node();
        node.setMetadata(metadata(json));
        set(json, "spec", "", ModelMapping::nodeSpec, node::setSpec);
        set(json, "status", "", ModelMapping::nodeStatus, node::setStatus);
        return node;
    }

    public static Deployment deployment(Map<String, Object> json) {
        Deployment deployment = new Deployment();
        deployment.setMetadata(metadata(json));
        set(json, "spec", "", ModelMapping::deploymentSpec, deployment::setSpec);
        return deployment;
    }

    public static Pod pod(Map<String, Object> json) {
        Pod pod = new Pod();
        pod.setMetadata(metadata(json));
        set(json, "spec", "", ModelMapping::podSpec, pod::setSpec);
        set(json, "status", "", ModelMapping::podStatus, pod::setStatus);
        return pod;
    }

    public static Service service(Map<String, Object> json) {
        Service service = new Service();
        service.setMetadata(metadata(json));
        set(json, "spec", "", ModelMapping::serviceSpec, service::setSpec);
        return service;
    }

    public static EndpointSlice endpointSlice(Map<String, Object> json) {
        EndpointSlice slice = new EndpointSlice();
        slice.setMetadata(metadata(json));
        set(json, "addressType", "", ModelMapping::string, slice::setAddressType);
        set(json, "endpoints", "", list(ModelMapping::endpoint), slice::setEndpoints);
        set(json, "ports", "", list(ModelMapping::endpointPort), slice::setPorts);
        return slice;
    }

    // --- metadata

    private static ObjectMeta metadata(Map<String, Object> json) {
        Map<String, Object> m = required(Objects.requireNonNull(json, "json"), "metadata", "", ModelMapping::object);
        ObjectMeta meta = new ObjectMeta();
        meta.setName(required(m, "name", "metadata", ModelMapping::string));
        set(m, "namespace", "metadata", ModelMapping::string, meta::setNamespace);
        set(m, "uid", "metadata", ModelMapping::string, meta::setUid);
        set(m, "resourceVersion", "metadata", ModelMapping::string, meta::setResourceVersion);
        set(m, "deletionTimestamp", "metadata", ModelMapping::string, meta::setDeletionTimestamp);
        set(m, "labels", "metadata", ModelMapping::stringMap, meta::setLabels);
        set(m, "ownerReferences", "metadata", list(ModelMapping::ownerReference), meta::setOwnerReferences);
        return meta;
    }

    private static OwnerReference ownerReference(Object json, String path) {
        Map<String, Object> m = object(json, path);
        OwnerReference ref = new OwnerReference();
        ref.setKind(required(m, "kind", path, ModelMapping::string));
        ref.setName(required(m, "name", path, ModelMapping::string));
        set(m, "uid", path, ModelMapping::string, ref::setUid);
        set(m, "controller", path, ModelMapping::bool, ref::setController);
        return ref;
    }

    // --- nodes

    private static NodeSpec nodeSpec(Object json, String path) {
        Map<String, Object> m = object(json, path);
        NodeSpec spec = new NodeSpec();
        set(m, "unschedulable", path, ModelMapping::bool, spec::setUnschedulable);
        set(m, "taints", path, list(ModelMapping::taint), spec::setTaints);
        return spec;
    }

    private static Taint taint(Object json, String path) {
        Map<String, Object> m = object(json, path);
        Taint taint = new Taint();
        set(m, "key", path, ModelMapping::string, taint::setKey);
        set(m, "value", path, ModelMapping::string, taint::setValue);
        set(m, "effect", path, ModelMapping::string, taint::setEffect);
        return taint;
    }

    private static NodeStatus nodeStatus(Object json, String path) {
        Map<String, Object> m = object(json, path);
        NodeStatus status = new NodeStatus();
        set(m, "addresses", path, list(ModelMapping::nodeAddress), status::setAddresses);
        set(m, "conditions", path, list(ModelMapping::nodeCondition), status::setConditions);
        return status;
    }

    private static NodeAddress nodeAddress(Object json, String path) {
        Map<String, Object> m = object(json, path);
        NodeAddress address = new NodeAddress();
        address.setType(required(m, "type", path, ModelMapping::string));
        address.setAddress(required(m, "address", path, ModelMapping::string));
        return address;
    }

    private static NodeCondition nodeCondition(Object json, String path) {
        Map<String, Object> m = object(json, path);
        NodeCondition condition = new NodeCondition();
        set(m, "type", path, ModelMapping::string, condition::setType);
        set(m, "status", path, ModelMapping::string, condition::setStatus);
        return condition;
    }

    // --- deployments and pods

    private static DeploymentSpec deploymentSpec(Object json, String path) {
        Map<String, Object> m = object(json, path);
        DeploymentSpec spec = new DeploymentSpec();
        set(m, "replicas", path, ModelMapping::integer, spec::setReplicas);
        set(m, "selector", path, ModelMapping::labelSelector, spec::setSelector);
        set(m, "template", path, ModelMapping::podTemplate, spec::setTemplate);
        return spec;
    }

    private static LabelSelector labelSelector(Object json, String path) {
        Map<String, Object> m = object(json, path);
        LabelSelector selector = new LabelSelector();
        set(m, "matchLabels", path, ModelMapping::stringMap, selector::setMatchLabels);
        set(m, "matchExpressions", path, list(ModelMapping::requirement), selector::setMatchExpressions);
        return selector;
    }

    private static LabelSelectorRequirement requirement(Object json, String path) {
        Map<String, Object> m = object(json, path);
        LabelSelectorRequirement requirement = new LabelSelectorRequirement();
        requirement.setKey(required(m, "key", path, ModelMapping::string));
        requirement.setOperator(required(m, "operator", path, ModelMapping::string));
        set(m, "values", path, list(ModelMapping::string), requirement::setValues);
        return requirement;
    }

    private static PodTemplateSpec podTemplate(Object json, String path) {
        Map<String, Object> m = object(json, path);
        PodTemplateSpec template = new PodTemplateSpec();
        set(m, "metadata", path, ModelMapping::templateMetadata, template::setMetadata);
        set(m, "spec", path, ModelMapping::podSpec, template::setSpec);
        return template;
    }

    /** Template annotations are kept (the mover's moved-at lives there); they are small, unlike top-level ones. */
    private static ObjectMeta templateMetadata(Object json, String path) {
        Map<String, Object> m = object(json, path);
        ObjectMeta meta = new ObjectMeta();
        set(m, "labels", path, ModelMapping::stringMap, meta::setLabels);
        set(m, "annotations", path, ModelMapping::stringMap, meta::setAnnotations);
        return meta;
    }

    /** Shared by pods (nodeName, container ports) and templates (nodeSelector, tolerations). */
    private static PodSpec podSpec(Object json, String path) {
        Map<String, Object> m = object(json, path);
        PodSpec spec = new PodSpec();
        set(m, "nodeName", path, ModelMapping::string, spec::setNodeName);
        set(m, "containers", path, list(ModelMapping::container), spec::setContainers);
        set(m, "nodeSelector", path, ModelMapping::stringMap, spec::setNodeSelector);
        set(m, "tolerations", path, list(ModelMapping::toleration), spec::setTolerations);
        return spec;
    }

    private static Container container(Object json, String path) {
        Map<String, Object> m = object(json, path);
        Container container = new Container();
        set(m, "name", path, ModelMapping::string, container::setName);
        set(m, "ports", path, list(ModelMapping::containerPort), container::setPorts);
        return container;
    }

    private static ContainerPort containerPort(Object json, String path) {
        Map<String, Object> m = object(json, path);
        ContainerPort port = new ContainerPort();
        set(m, "containerPort", path, ModelMapping::integer, port::setContainerPort);
        set(m, "hostPort", path, ModelMapping::integer, port::setHostPort);
        set(m, "protocol", path, ModelMapping::string, port::setProtocol);
        return port;
    }

    private static Toleration toleration(Object json, String path) {
        Map<String, Object> m = object(json, path);
        Toleration toleration = new Toleration();
        set(m, "key", path, ModelMapping::string, toleration::setKey);
        set(m, "operator", path, ModelMapping::string, toleration::setOperator);
        set(m, "value", path, ModelMapping::string, toleration::setValue);
        set(m, "effect", path, ModelMapping::string, toleration::setEffect);
        return toleration;
    }

    private static PodStatus podStatus(Object json, String path) {
        Map<String, Object> m = object(json, path);
        PodStatus status = new PodStatus();
        set(m, "phase", path, ModelMapping::string, status::setPhase);
        set(m, "conditions", path, list(ModelMapping::podCondition), status::setConditions);
        return status;
    }

    private static PodCondition podCondition(Object json, String path) {
        Map<String, Object> m = object(json, path);
        PodCondition condition = new PodCondition();
        set(m, "type", path, ModelMapping::string, condition::setType);
        set(m, "status", path, ModelMapping::string, condition::setStatus);
        return condition;
    }

    // --- services and endpoint slices

    private static ServiceSpec serviceSpec(Object json, String path) {
        Map<String, Object> m = object(json, path);
        ServiceSpec spec = new ServiceSpec();
        set(m, "selector", path, ModelMapping::stringMap, spec::setSelector);
        set(m, "ports", path, list(ModelMapping::servicePort), spec::setPorts);
        return spec;
    }

    private static ServicePort servicePort(Object json, String path) {
        Map<String, Object> m = object(json, path);
        ServicePort port = new ServicePort();
        port.setPort(required(m, "port", path, ModelMapping::integer));
        set(m, "nodePort", path, ModelMapping::integer, port::setNodePort);
        set(m, "protocol", path, ModelMapping::string, port::setProtocol);
        return port;
    }

    private static Endpoint endpoint(Object json, String path) {
        Map<String, Object> m = object(json, path);
        Endpoint endpoint = new Endpoint();
        set(m, "addresses", path, list(ModelMapping::string), endpoint::setAddresses);
        set(m, "nodeName", path, ModelMapping::string, endpoint::setNodeName);
        set(m, "targetRef", path, ModelMapping::objectReference, endpoint::setTargetRef);
        return endpoint;
    }

    private static ObjectReference objectReference(Object json, String path) {
        Map<String, Object> m = object(json, path);
        ObjectReference ref = new ObjectReference();
        set(m, "kind", path, ModelMapping::string, ref::setKind);
        set(m, "namespace", path, ModelMapping::string, ref::setNamespace);
        set(m, "name", path, ModelMapping::string, ref::setName);
        return ref;
    }

    private static EndpointPort endpointPort(Object json, String path) {
        Map<String, Object> m = object(json, path);
        EndpointPort port = new EndpointPort();
        set(m, "port", path, ModelMapping::integer, port::setPort);
        set(m, "protocol", path, ModelMapping::string, port::setProtocol);
        return port;
    }

    // --- JSON access

    /** Sets the field only when the key is present, as Jackson does; an explicit null sets null. */
    private static <T> void set(Map<String, Object> json, String key, String path, Converter<T> converter, Consumer<? super T> setter) {
        if (json.containsKey(key)) {
            Object value = json.get(key);
            setter.accept(value == null ? null : converter.convert(value, child(path, key)));
        }
    }

    private static <T> T required(Map<String, Object> json, String key, String path, Converter<T> converter) {
        Object value = json.get(key);
        if (value == null) {
            throw new IllegalArgumentException(child(path, key) + ": missing");
        }
        return converter.convert(value, child(path, key));
    }

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object json, String path) {
        if (json instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw wrongType(path, "an object", json);
    }

    private static <T> Converter<List<T>> list(Converter<T> element) {
        return (json, path) -> {
            if (!(json instanceof List<?> items)) {
                throw wrongType(path, "an array", json);
            }
            List<T> out = new ArrayList<>(items.size());
            for (Object item : items) {
                out.add(element.convert(item, path + "[" + out.size() + "]"));
            }
            return out;
        };
    }

    private static Map<String, String> stringMap(Object json, String path) {
        Map<String, Object> map = object(json, path);
        Map<String, String> out = new LinkedHashMap<>(map.size() * 2);
        map.forEach((key, value) -> out.put(key, string(value, child(path, key))));
        return out;
    }

    private static String string(Object json, String path) {
        if (json instanceof String s) {
            return s;
        }
        throw wrongType(path, "a string", json);
    }

    private static Boolean bool(Object json, String path) {
        if (json instanceof Boolean b) {
            return b;
        }
        throw wrongType(path, "a boolean", json);
    }

    /** An int; an integral Double (2.0) is accepted as Jackson does, a fraction is not. */
    private static Integer integer(Object json, String path) {
        if (!(json instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
            throw wrongType(path, "an integer", json);
        }
        double value = number.doubleValue(); // exact for every long near the int range
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(path + ": " + json + " is out of int range");
        }
        return number.intValue();
    }

    private static IllegalArgumentException wrongType(String path, String expected, Object json) {
        String actual = switch (json) {
            case null -> "null";
            case String _ -> "a string";
            case Boolean _ -> "a boolean";
            case Double _, Float _, java.math.BigDecimal _ -> "a number";
            case Number _ -> "an integer";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            default -> "a " + json.getClass().getSimpleName();
        };
        return new IllegalArgumentException(path + ": expected " + expected + ", got " + actual);
    }
}
