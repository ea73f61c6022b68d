package io.edgesched.api.demand;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A pass over the aggregate table (or any range) split into parts run by this thread and the common pool's: what
 * {@link ViewBuilder} and {@link DemandStore#maintain} share. Parts are claimed in turn, so a helper that starts
 * late (its thread busy elsewhere) only takes fewer of them.
 */
final class TableParts {
    /** Tables with fewer aggregates are passed over on one thread. */
    static final int PARALLEL_MIN = 50_000;
    private static final int MAX_PARTS = 32;

    private TableParts() {
    }

    /** Four parts per thread (the common pool's and the caller), so the threads stay busy until the end. */
    static int partsFor(AggregateTable t) {
        return t.size() < PARALLEL_MIN ? 1 : partsForThreads();
    }

    /** Four parts per thread that may take part, whatever the size of the work. */
    static int partsForThreads() {
        return Math.min(MAX_PARTS, 4 * (ForkJoinPool.getCommonPoolParallelism() + 1));
    }

    /** Where part {@code part} of {@code parts} of a range of {@code length} begins. */
    static int from(int part, int parts, int length) {
        return (int) ((long) length * part / parts);
    }

    /** Runs every part once, on this thread and up to the common pool's parallelism of helpers; returns when all are done. */
    static void inParallel(int parts, IntConsumer work) {
        AtomicInteger next = new AtomicInteger();
        Runnable claimer = () -> {
            for (int part = next.getAndIncrement(); part < parts; part = next.getAndIncrement()) {
                work.accept(part);
            }
        };
        int helpers = Math.min(ForkJoinPool.getCommonPoolParallelism(), parts - 1);
        List<ForkJoinTask<?>> forked = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) {
            forked.add(ForkJoinPool.commonPool().submit(claimer));
        }
        claimer.run();
        for (ForkJoinTask<?> f : forked) {
            f.join();
        }
    }
}
