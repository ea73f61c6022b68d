package io.edgesched.k8s.topology;

import io.edgesched.k8s.selector.Selectors;
import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster at one moment as edgesched sees it: nodes, managed workloads and where they run,
 * services and the ports traffic for each workload arrives on. Immutable; built from informer caches
 * by {@link KubernetesTopology#snapshot()} or directly from objects in tests.
 */
public final class ClusterSnapshot implements ServiceResolver {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSnapshot.class);

    /** The opt-in label a Deployment must carry (value "true") to be placed by edgesched. */
    public static final String MANAGED_LABEL = "edgesched.io/managed";
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    /** Services already warned about (snapshots are rebuilt on every change; warn once, bounded). */
    private static final java.util.Set<String> AMBIGUOUS_WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final SortedMap<NodeId, ClusterNode> nodes;
    private final SortedMap<WorkloadId, ClusterWorkload> workloads;
    private final List<ClusterService> services;
    private final Map<NodeId, List<PortBinding>> bindingsByNode;
    private final List<PortBinding> clusterWideBindings;
    private final Map<ClientAddress, NodeId> nodeByAddress;

    private ClusterSnapshot(SortedMap<NodeId, ClusterNode> nodes, SortedMap<WorkloadId, ClusterWorkload> workloads,
                            List<ClusterService> services, Map<NodeId, List<PortBinding>> bindingsByNode,
                            List<PortBinding> clusterWideBindings) {
        this.nodes = Collections.unmodifiableSortedMap(nodes);
        this.workloads = Collections.unmodifiableSortedMap(workloads);
        this.services = List.copyOf(services);
        this.bindingsByNode = Map.copyOf(bindingsByNode);
        this.clusterWideBindings = List.copyOf(clusterWideBindings);
        Map<ClientAddress, NodeId> byAddress = new HashMap<>();
        for (ClusterNode n : nodes.values()) {
            for (ClientAddress a : n.addresses()) {
                byAddress.put(a, n.id());
            }
        }
        this.nodeByAddress = Map.copyOf(byAddress);
    }

    public SortedMap<NodeId, ClusterNode> nodes() {
        return nodes;
    }

    public SortedMap<WorkloadId, ClusterWorkload> workloads() {
        return workloads;
    }

    public List<ClusterService> services() {
        return services;
    }

    /** Every node address (internal and external) to its node: traffic from these is forwarded, not a client. */
    public Map<ClientAddress, NodeId> nodeByAddress() {
        return nodeByAddress;
    }

    @Override
    public List<PortBinding> bindingsOn(NodeId node) {
        List<PortBinding> out = new ArrayList<>(clusterWideBindings);
        out.addAll(bindingsByNode.getOrDefault(node, List.of()));
        return out;
    }

    @Override
    public Optional<WorkloadId> resolve(NodeId node, int localPort) {
        return bindingsOn(node).stream()
                .filter(b -> b.localAddress().isEmpty() && b.port() == localPort)
                .map(PortBinding::workload).findFirst();
    }

    @Override
    public Optional<WorkloadId> resolve(NodeId node, ClientAddress localAddress, int localPort) {
        Optional<WorkloadId> exact = bindingsOn(node).stream()
                .filter(b -> b.port() == localPort && b.localAddress().filter(localAddress::equals).isPresent())
                .map(PortBinding::workload).findFirst();
        return exact.isPresent() ? exact : resolve(node, localPort);
    }

    /**
     * The engine's {@link io.edgesched.api.demand.ServiceCatalog} over node-wide ports (NodePorts, hostPorts), for
     * feeding raw {@link io.edgesched.api.OriginSnapshot}s of watched node ports into a DemandStore.
     */
    public io.edgesched.api.demand.ServiceCatalog serviceCatalog() {
        return (node, serviceId, localPort) -> resolve(node, localPort);
    }

    /** Builds a snapshot from API objects; {@code deployments} may include unmanaged ones (they are skipped). */
    public static ClusterSnapshot of(Collection<Node> nodeObjects, Collection<Deployment> deployments,
                                     Collection<Pod> pods, Collection<Service> serviceObjects,
                                     Collection<EndpointSlice> slices) {
        SortedMap<NodeId, ClusterNode> nodes = new TreeMap<>();
        for (Node n : nodeObjects) {
            ClusterNode node = toNode(n);
            nodes.put(node.id(), node);
        }

        List<Deployment> managed = deployments.stream().filter(ClusterSnapshot::isManaged)
                .sorted((a, b) -> workloadId(a).compareTo(workloadId(b))).toList();
        // Pods find their Deployment through the owner chain (ReplicaSet "<deployment>-<pod-template-hash>"),
        // which is O(pods); only pods without such an owner fall back to selector matching.
        Map<String, Deployment> managedByKey = new HashMap<>();
        Map<String, List<Deployment>> managedByNamespace = new HashMap<>();
        for (Deployment d : managed) {
            WorkloadId id = workloadId(d);
            managedByKey.put(podKey(id.namespace(), id.name()), d);
            managedByNamespace.computeIfAbsent(id.namespace(), k -> new ArrayList<>()).add(d);
        }
        Map<String, WorkloadId> workloadByPod = new HashMap<>();
        Map<WorkloadId, TreeMap<NodeId, Integer>> running = new HashMap<>();
        Map<WorkloadId, TreeMap<NodeId, Integer>> ready = new HashMap<>();
        for (Pod p : pods) {
            Deployment owner = ownerOf(p, managedByKey, managedByNamespace);
            if (owner == null) {
                continue;
            }
            WorkloadId id = workloadId(owner);
            workloadByPod.put(podKey(p.getMetadata().getNamespace(), p.getMetadata().getName()), id);
            String nodeName = p.getSpec() == null ? null : p.getSpec().getNodeName();
            if (nodeName == null || p.getMetadata().getDeletionTimestamp() != null || !isRunning(p)) {
                continue;
            }
            running.computeIfAbsent(id, k -> new TreeMap<>()).merge(NodeId.of(nodeName), 1, Integer::sum);
            if (isReady(p)) {
                ready.computeIfAbsent(id, k -> new TreeMap<>()).merge(NodeId.of(nodeName), 1, Integer::sum);
            }
        }
        SortedMap<WorkloadId, ClusterWorkload> workloads = new TreeMap<>();
        Map<String, List<ClusterWorkload>> workloadsByLabel = new HashMap<>();
        for (Deployment d : managed) {
            WorkloadId id = workloadId(d);
            Map<String, String> template = d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getMetadata() == null
                    ? Map.of() : nullToEmpty(d.getSpec().getTemplate().getMetadata().getLabels());
            int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            var podSpec = d.getSpec().getTemplate() == null ? null : d.getSpec().getTemplate().getSpec();
            Map<String, String> nodeSelector = podSpec == null ? Map.of() : nullToEmpty(podSpec.getNodeSelector());
            java.util.Set<String> tolerated = new java.util.TreeSet<>();
            boolean toleratesAll = false;
            if (podSpec != null && podSpec.getTolerations() != null) {
                for (var t : podSpec.getTolerations()) {
                    if (t.getKey() == null || t.getKey().isEmpty()) {
                        toleratesAll |= "Exists".equals(t.getOperator());
                    } else {
                        tolerated.add(t.getKey());
                    }
                }
            }
            ClusterWorkload w = new ClusterWorkload(id, template, replicas,
                    running.getOrDefault(id, new TreeMap<>()), ready.getOrDefault(id, new TreeMap<>()),
                    nodeSelector, tolerated, toleratesAll, movedAt(d));
            workloads.put(id, w);
            template.forEach((k, v) -> workloadsByLabel.computeIfAbsent(labelKey(id.namespace(), k, v), x -> new ArrayList<>()).add(w));
        }

        List<ClusterService> services = new ArrayList<>();
        Map<String, ClusterService> serviceByKey = new HashMap<>();
        List<PortBinding> clusterWide = new ArrayList<>();
        for (Service s : serviceObjects) {
            String ns = s.getMetadata().getNamespace();
            Map<String, String> selector = s.getSpec() == null ? Map.of() : nullToEmpty(s.getSpec().getSelector());
            Map.Entry<String, String> anyPair = selector.isEmpty() ? null : selector.entrySet().iterator().next();
            List<WorkloadId> fronted = anyPair == null ? List.of()
                    : workloadsByLabel.getOrDefault(labelKey(ns, anyPair.getKey(), anyPair.getValue()), List.of()).stream()
                    .filter(w -> Selectors.serviceSelects(selector, w.templateLabels()))
                    .map(ClusterWorkload::id).sorted().toList();
            List<Integer> ports = new ArrayList<>();
            List<Integer> nodePorts = new ArrayList<>();
            List<ServicePort> specPorts = s.getSpec() == null || s.getSpec().getPorts() == null ? List.of() : s.getSpec().getPorts();
            for (ServicePort p : specPorts) {
                if (p.getProtocol() != null && !"TCP".equals(p.getProtocol())) {
                    continue;
                }
                ports.add(p.getPort());
                if (p.getNodePort() != null && p.getNodePort() > 0) {
                    nodePorts.add(p.getNodePort());
                }
            }
            ClusterService service = new ClusterService(ns, s.getMetadata().getName(), selector, ports, nodePorts, fronted);
            services.add(service);
            serviceByKey.put(podKey(ns, service.name()), service);
            if (fronted.isEmpty()) {
                continue;
            }
            if (fronted.size() > 1 && AMBIGUOUS_WARNED.size() < 10_000 && AMBIGUOUS_WARNED.add(ns + "/" + service.name())) {
                LOG.warn("service {}/{} fronts {} managed deployments {}; its NodePorts are attributed to {}",
                        ns, service.name(), fronted.size(), fronted, fronted.getFirst());
            }
            for (int nodePort : nodePorts) {
                clusterWide.add(new PortBinding(PortBinding.Kind.NODE_PORT, Optional.empty(), nodePort, fronted.getFirst(),
                        "service " + ns + "/" + service.name()));
            }
        }

        Map<NodeId, Map<String, PortBinding>> perNode = new HashMap<>();
        // hostPorts of managed pods
        for (Pod p : pods) {
            WorkloadId w = workloadByPod.get(podKey(p.getMetadata().getNamespace(), p.getMetadata().getName()));
            String nodeName = p.getSpec() == null ? null : p.getSpec().getNodeName();
            if (w == null || nodeName == null || p.getSpec().getContainers() == null) {
                continue;
            }
            for (Container c : p.getSpec().getContainers()) {
                for (ContainerPort cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                    if (cp.getHostPort() != null && cp.getHostPort() > 0 && (cp.getProtocol() == null || "TCP".equals(cp.getProtocol()))) {
                        PortBinding b = new PortBinding(PortBinding.Kind.HOST_PORT, Optional.empty(), cp.getHostPort(), w,
                                "pod " + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
                        perNode.computeIfAbsent(NodeId.of(nodeName), k -> new LinkedHashMap<>()).putIfAbsent(key(b), b);
                    }
                }
            }
        }
        // pod ports from EndpointSlices, per pod IP on the pod's node
        for (EndpointSlice slice : slices) {
            String ns = slice.getMetadata().getNamespace();
            String serviceName = slice.getMetadata().getLabels() == null ? null
                    : slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL);
            ClusterService service = serviceName == null ? null : serviceByKey.get(podKey(ns, serviceName));
            if (slice.getEndpoints() == null || slice.getPorts() == null
                    || (slice.getAddressType() != null && !slice.getAddressType().startsWith("IPv"))) {
                continue;
            }
            for (Endpoint e : slice.getEndpoints()) {
                if (e.getNodeName() == null || e.getAddresses() == null) {
                    continue;
                }
                WorkloadId w = null;
                ObjectReference ref = e.getTargetRef();
                if (ref != null && "Pod".equals(ref.getKind())) {
                    w = workloadByPod.get(podKey(ref.getNamespace() == null ? ns : ref.getNamespace(), ref.getName()));
                }
                if (w == null && service != null && !service.workloads().isEmpty()) {
                    w = service.workloads().getFirst();
                }
                if (w == null) {
                    continue;
                }
                for (EndpointPort port : slice.getPorts()) {
                    if (port.getPort() == null || (port.getProtocol() != null && !"TCP".equals(port.getProtocol()))) {
                        continue;
                    }
                    for (String address : e.getAddresses()) {
                        ClientAddress podIp;
                        try {
                            podIp = ClientAddress.parse(address);
                        } catch (IllegalArgumentException bad) {
                            LOG.debug("endpoint address {} in {}/{} is not an IP; skipped", address, ns, slice.getMetadata().getName());
                            continue;
                        }
                        PortBinding b = new PortBinding(PortBinding.Kind.POD_PORT, Optional.of(podIp), port.getPort(), w,
                                "endpointslice " + ns + "/" + slice.getMetadata().getName());
                        perNode.computeIfAbsent(NodeId.of(e.getNodeName()), k -> new LinkedHashMap<>()).putIfAbsent(key(b), b);
                    }
                }
            }
        }
        Map<NodeId, List<PortBinding>> bindings = new HashMap<>();
        perNode.forEach((n, m) -> bindings.put(n, List.copyOf(m.values())));
        return new ClusterSnapshot(nodes, workloads, services, bindings, clusterWide);
    }

    /** The time the mover wrote on the pod template, if any and if it parses. */
    private static Optional<java.time.Instant> movedAt(Deployment d) {
        if (d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getMetadata() == null
                || d.getSpec().getTemplate().getMetadata().getAnnotations() == null) {
            return Optional.empty();
        }
        String text = d.getSpec().getTemplate().getMetadata().getAnnotations()
                .get(io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVED_AT);
        try {
            return text == null ? Optional.empty() : Optional.of(java.time.Instant.parse(text));
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    public static boolean isManaged(Deployment d) {
        return d.getMetadata().getLabels() != null && "true".equals(d.getMetadata().getLabels().get(MANAGED_LABEL))
                && d.getSpec() != null;
    }

    public static WorkloadId workloadId(Deployment d) {
        return WorkloadId.of(Objects.requireNonNullElse(d.getMetadata().getNamespace(), ""), d.getMetadata().getName());
    }

    private static Deployment ownerOf(Pod p, Map<String, Deployment> managedByKey,
                                      Map<String, List<Deployment>> managedByNamespace) {
        String ns = p.getMetadata().getNamespace();
        Map<String, String> labels = nullToEmpty(p.getMetadata().getLabels());
        var owners = p.getMetadata().getOwnerReferences();
        if (owners != null) {
            for (var ref : owners) {
                if (!"ReplicaSet".equals(ref.getKind())) {
                    continue;
                }
                String hash = labels.get("pod-template-hash");
                String rs = ref.getName();
                if (hash == null || !rs.endsWith("-" + hash)) {
                    return null;
                }
                Deployment d = managedByKey.get(podKey(ns, rs.substring(0, rs.length() - hash.length() - 1)));
                return d != null && Selectors.labelSelectorMatches(d.getSpec().getSelector(), labels) ? d : null;
            }
            if (!owners.isEmpty()) {
                return null; // owned by something that is not a Deployment's ReplicaSet
            }
        }
        for (Deployment d : managedByNamespace.getOrDefault(ns, List.of())) {
            if (Selectors.labelSelectorMatches(d.getSpec().getSelector(), labels)) {
                return d;
            }
        }
        return null;
    }

    private static String labelKey(String namespace, String key, String value) {
        return namespace + "\u0000" + key + "\u0000" + value;
    }

    private static String key(PortBinding b) {
        return b.localAddress().map(Object::toString).orElse("*") + ":" + b.port();
    }

    private static String podKey(String namespace, String name) {
        return namespace + "/" + name;
    }

    private static Map<String, String> nullToEmpty(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }

    private static boolean isRunning(Pod p) {
        return p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
    }

    private static boolean isReady(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition c : p.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    static ClusterNode toNode(Node n) {
        List<ClientAddress> internal = new ArrayList<>();
        List<ClientAddress> external = new ArrayList<>();
        boolean ready = false;
        if (n.getStatus() != null) {
            for (NodeAddress a : n.getStatus().getAddresses() == null ? List.<NodeAddress>of() : n.getStatus().getAddresses()) {
                List<ClientAddress> target = switch (a.getType()) {
                    case "InternalIP" -> internal;
                    case "ExternalIP" -> external;
                    default -> null;
                };
                if (target != null) {
                    try {
                        target.add(ClientAddress.parse(a.getAddress()));
                    } catch (IllegalArgumentException bad) {
                        LOG.warn("node {} reports address {} of type {} that is not an IP; ignored",
                                n.getMetadata().getName(), a.getAddress(), a.getType());
                    }
                }
            }
            for (NodeCondition c : n.getStatus().getConditions() == null ? List.<NodeCondition>of() : n.getStatus().getConditions()) {
                if ("Ready".equals(c.getType())) {
                    ready = "True".equals(c.getStatus());
                }
            }
        }
        boolean cordoned = n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
        List<ClusterNode.Taint> taints = n.getSpec() == null || n.getSpec().getTaints() == null ? List.of()
                : n.getSpec().getTaints().stream()
                .map(t -> new ClusterNode.Taint(t.getKey(), Objects.requireNonNullElse(t.getValue(), ""), t.getEffect()))
                .toList();
        return new ClusterNode(NodeId.of(n.getMetadata().getName()), nullToEmpty(n.getMetadata().getLabels()),
                internal, external, ready, cordoned, taints);
    }
}
