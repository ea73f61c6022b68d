package io.edgesched.k8s.move;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a Deployment's pods to target nodes by rewriting the pod template's required node
 * affinity ({@code kubernetes.io/hostname In [targets]}), make-before-break: the rollout runs with
 * {@code maxUnavailable=0, maxSurge>=1}, so ready replicas never drop below the desired count.
 *
 * <p>Only Deployments that opted in (label or annotation {@code edgesched.io/managed=true} by default)
 * in allowed namespaces are touched. Targets that are cordoned, NotReady or tainted against the
 * template, and moves a PodDisruptionBudget forbids, are refused before anything changes. A
 * rollout that gets stuck (unschedulable pod, image never ready, timeout) is rolled back.
 *
 * <p>Each move runs on the configured executor and its stage never completes exceptionally:
 * API errors become {@link MoveResult.Failed} with a message saying what to do. Cancelling the
 * returned future aborts the move at once, with no further patches (used on leadership loss).
 * See docs/k8s-move.md.
 */
public final class KubernetesRescheduler implements Rescheduler, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesRescheduler.class);

    /** Default opt-in key, looked up in the Deployment's labels and annotations. */
    public static final String DEFAULT_OPT_IN_KEY = "edgesched.io/managed";
    /** Pod-template annotations written by a move (a template change is what starts the rollout). */
    public static final String ANNOTATION_MOVE_ID = "edgesched.io/move-id";
    public static final String ANNOTATION_MOVED_AT = "edgesched.io/moved-at";
    public static final String ANNOTATION_REASON = "edgesched.io/reason";
    public static final String ANNOTATION_TARGETS = "edgesched.io/targets";
    public static final String ANNOTATION_FROM = "edgesched.io/from";
    /** Deployment annotation holding the user's strategy while a move runs with maxUnavailable=0. */
    public static final String ANNOTATION_SAVED_STRATEGY = "edgesched.io/saved-strategy";
    /**
     * Deployment annotation present while a move's rollout is unfinished: the generation its patch
     * produced. A later move may supersede that rollout only while the generation still matches.
     */
    public static final String ANNOTATION_MOVE_GENERATION = "edgesched.io/move-generation";
    /**
     * Deployment annotation with the strategy a running move applied (JSON): the user's strategy is put
     * back only while the Deployment still carries this one, so a change made during the move is kept.
     */
    public static final String ANNOTATION_MOVE_STRATEGY = "edgesched.io/move-strategy";
    /**
     * Deployment annotation holding the user's own required node affinity (JSON NodeSelector, {@code {}}
     * for none), recorded by the first move. Every move ANDs its targets into it and refuses targets
     * it excludes, so a user's {@code kubernetes.io/hostname} pin survives. Edit it to change the set.
     */
    public static final String ANNOTATION_USER_AFFINITY = "edgesched.io/user-node-affinity";

    /** Immutable configuration shared by all moves. */
    record Settings(KubernetesClient client, Set<String> allowedNamespaces, String optInKey, String optInValue,
                    Duration rolloutTimeout, Duration stuckGrace, Clock clock, ApiCaller.RetryPolicy retry,
                    int maxConflictRetries, BiConsumer<MoveRequest, Duration> onPatched, String instance) {
        boolean namespaceAllowed(String ns) {
            return allowedNamespaces == null || allowedNamespaces.contains(ns);
        }

        String allowedNamespacesText() {
            return allowedNamespaces == null ? "(all)" : new TreeSet<>(allowedNamespaces).toString();
        }
    }

    /** A move under way: lets cancellation reach the thread that runs it. */
    static final class InFlight {
        private volatile String abortReason;
        private volatile RolloutTracker tracker;

        boolean isAborted() {
            return abortReason != null;
        }

        String abortReason() {
            return abortReason;
        }

        void abort(String reason) {
            if (abortReason == null) {
                abortReason = reason;
            }
            RolloutTracker t = tracker;
            if (t != null) {
                t.wake();
            }
        }

        void watching(RolloutTracker t) {
            tracker = t;
        }
    }

    private final Settings settings;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final MoveEvents events;
    private final RolloutWatch watch;
    private final ConcurrentMap<WorkloadId, InFlight> inFlight = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private KubernetesRescheduler(Settings settings, Executor executor, ExecutorService owned) {
        this.settings = settings;
        this.executor = executor;
        this.ownedExecutor = owned;
        this.events = new MoveEvents(settings.client(), settings.clock(), settings.instance());
        this.watch = new RolloutWatch(settings.client());
    }

    public static Builder builder(KubernetesClient client) {
        return new Builder(client);
    }

    @Override
    public CompletableFuture<MoveResult> move(MoveRequest request) {
        Objects.requireNonNull(request, "request");
        long start = System.nanoTime();
        if (closed) {
            return CompletableFuture.completedFuture(new MoveResult.Refused(request, "the rescheduler is closed"));
        }
        return submit(request, start, MoveProcedure::run);
    }

    private CompletableFuture<MoveResult> submit(MoveRequest request, long start,
                                                 java.util.function.Function<MoveProcedure, MoveResult> body) {
        InFlight flight = new InFlight();
        if (inFlight.putIfAbsent(request.workload(), flight) != null) {
            return CompletableFuture.completedFuture(new MoveResult.Refused(request,
                    "a move of " + request.workload() + " is already in progress"));
        }
        CompletableFuture<MoveResult> result = new CompletableFuture<>();
        result.whenComplete((r, t) -> {
            if (result.isCancelled()) {
                flight.abort("the move was cancelled (e.g. leadership lost); no further changes were made");
            }
        });
        try {
            executor.execute(() -> {
                MoveResult r;
                try {
                    r = body.apply(new MoveProcedure(settings, request, flight, events, watch, start));
                } catch (RuntimeException | Error e) {
                    LOG.error("bug: move of {} ended with an unexpected exception", request.workload(), e);
                    r = new MoveResult.Failed(request, "internal error: " + e, false, e);
                } finally {
                    inFlight.remove(request.workload(), flight);
                }
                result.complete(r);
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(request.workload(), flight);
            result.complete(new MoveResult.Refused(request, "the rescheduler's executor rejected the move: " + e));
        }
        return result;
    }

    /**
     * Takes over every move an earlier instance left unfinished (a Deployment in an allowed namespace that
     * carries {@link #ANNOTATION_MOVE_GENERATION} or {@link #ANNOTATION_SAVED_STRATEGY}): follows its rollout
     * and finishes it, or rolls it back, and restores the user's strategy; each says so in an Event. Call
     * on becoming leader, before the first decision. Workloads being resumed refuse new moves meanwhile.
     */
    public CompletableFuture<List<MoveResult>> resumeUnfinishedMoves() {
        List<Deployment> marked;
        try {
            marked = (settings.allowedNamespaces() == null ? settings.client().apps().deployments().inAnyNamespace()
                    .list().getItems() : settings.allowedNamespaces().stream().flatMap(ns -> settings.client().apps()
                    .deployments().inNamespace(ns).list().getItems().stream()).toList())
                    .stream().filter(KubernetesRescheduler::carriesMoveMarkers).toList();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<MoveResult>> all = new ArrayList<>();
        for (Deployment d : marked) {
            MoveRequest request = MoveProcedure.unfinishedRequest(d);
            all.add(submit(request, System.nanoTime(), proc -> proc.resume(d)));
        }
        if (!marked.isEmpty()) {
            LOG.info("resuming {} move(s) an earlier instance left unfinished", marked.size());
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
    }

    static boolean carriesMoveMarkers(Deployment d) {
        Map<String, String> a = d.getMetadata().getAnnotations();
        return a != null && (a.containsKey(ANNOTATION_MOVE_GENERATION) || a.containsKey(ANNOTATION_SAVED_STRATEGY));
    }

    /** Workloads with a move under way. */
    public Set<WorkloadId> movesInFlight() {
        return Set.copyOf(inFlight.keySet());
    }

    /** Aborts moves under way without further patches, refuses new ones, stops the informers. */
    @Override
    public void close() {
        closed = true;
        inFlight.values().forEach(f -> f.abort("the rescheduler was closed"));
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
        watch.close();
    }

    /** Configures a {@link KubernetesRescheduler}. Only the client is required. */
    public static final class Builder {
        private final KubernetesClient client;
        private Set<String> allowedNamespaces = Set.of();
        private String optInKey = DEFAULT_OPT_IN_KEY;
        private String optInValue = "true";
        private Duration rolloutTimeout = Duration.ofMinutes(30);
        private Duration stuckGrace = Duration.ofSeconds(10);
        private Clock clock = Clock.systemUTC();
        private Executor executor;
        private int maxAttempts = 5;
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private int maxConflictRetries = 5;
        private BiConsumer<MoveRequest, Duration> onPatched = (r, d) -> { };
        private String instance = defaultInstance();

        private Builder(KubernetesClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** Namespaces whose Deployments may be moved. Default: none (every move is refused). */
        public Builder allowedNamespaces(Collection<String> namespaces) {
            this.allowedNamespaces = Set.copyOf(namespaces);
            return this;
        }

        /** Allow every namespace (the opt-in label still applies). */
        public Builder allowAllNamespaces() {
            this.allowedNamespaces = null;
            return this;
        }

        /** Label or annotation key (and value) a Deployment must carry to be moved. */
        public Builder optIn(String key, String value) {
            this.optInKey = Objects.requireNonNull(key, "key");
            this.optInValue = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * The longest a rollout (and a rollback) may take before it counts as failed. Each move allows the
         * Deployment's progressDeadlineSeconds (default 600) per batch of maxSurge new pods, capped by this.
         * Default 30 min.
         */
        public Builder rolloutTimeout(Duration timeout) {
            this.rolloutTimeout = positive(timeout, "rolloutTimeout");
            return this;
        }

        /**
         * How long a new pod may stay Unschedulable or stuck pulling its image before the move is
         * rolled back. Default 10 s (the scheduler may report Unschedulable while an old pod still
         * holds a port or resources on the target).
         */
        public Builder stuckGrace(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("stuckGrace must not be negative");
            }
            this.stuckGrace = grace;
            return this;
        }

        /** Clock for the timestamps written into annotations and events. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Where moves run (each blocks its thread while it follows the rollout). Default: a virtual
         * thread per move, owned and shut down by {@link #close()}.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Back-off for 5xx / 429 / timeouts / unreachable server: attempts, first delay, cap. */
        public Builder retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
            new ApiCaller.RetryPolicy(maxAttempts, initialBackoff, maxBackoff);
            this.maxAttempts = maxAttempts;
            this.initialBackoff = initialBackoff;
            this.maxBackoff = maxBackoff;
            return this;
        }

        /** How often a 409 Conflict is retried on freshly read state. Default 5. */
        public Builder maxConflictRetries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("maxConflictRetries must be >= 0");
            }
            this.maxConflictRetries = retries;
            return this;
        }

        /** Called when the move's patch was accepted, with the time since move() was called. */
        public Builder onPatched(BiConsumer<MoveRequest, Duration> listener) {
            this.onPatched = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Name of this controller instance in events (default: POD_NAME or HOSTNAME). */
        public Builder instance(String instance) {
            this.instance = Objects.requireNonNull(instance, "instance");
            return this;
        }

        public KubernetesRescheduler build() {
            Settings s = new Settings(client, allowedNamespaces, optInKey, optInValue, rolloutTimeout, stuckGrace,
                    clock, new ApiCaller.RetryPolicy(maxAttempts, initialBackoff, maxBackoff), maxConflictRetries,
                    onPatched, instance);
            if (executor != null) {
                return new KubernetesRescheduler(s, executor, null);
            }
            ExecutorService own = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("edgesched-move-", 0).factory());
            return new KubernetesRescheduler(s, own, own);
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }

        private static String defaultInstance() {
            String pod = System.getenv("POD_NAME");
            if (pod != null && !pod.isBlank()) {
                return pod;
            }
            String host = System.getenv("HOSTNAME");
            return host != null && !host.isBlank() ? host : "edgesched";
        }
    }
}
