package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch system calls of a live {@link BpfMap} (BPF_MAP_LOOKUP/UPDATE/DELETE_BATCH), with the get_next_key
 * fallback for map types whose batch lookup the kernel refuses. {@link BpfMap}'s batch methods delegate here.
 */
final class MapBatchOps {
    private static final Logger LOG = LoggerFactory.getLogger(BpfMap.class);

    private MapBatchOps() {
    }

    static int lookup(BpfMap map, MapBatchCursor cursor, MemorySegment keys, MemorySegment values, int maxCount) {
        int mapFd = map.fd();
        if (maxCount <= 0) {
            throw new IllegalArgumentException("maxCount must be positive, got " + maxCount);
        }
        BpfMap.requireSegment(keys, (long) map.keySize() * maxCount, "keys buffer");
        BpfMap.requireSegment(values, (long) map.valueStride() * maxCount, "values buffer");
        if (cursor.done) {
            return 0;
        }
        if (!map.batchFallbackActive()) {
            cursor.count.set(JAVA_INT, 0, maxCount);
            int rc;
            MemorySegment inToken = cursor.started ? cursor.inToken : MemorySegment.NULL;
            try {
                rc = (int) Libbpf.MAP_LOOKUP_BATCH.invokeExact(mapFd, inToken, cursor.outToken, keys, values,
                        cursor.count, cursor.opts);
            } catch (Throwable t) {
                throw Errors.rethrow(t);
            }
            int read = cursor.count.get(JAVA_INT, 0);
            if (rc == 0 || rc == -Errors.ENOENT) {
                if (rc == -Errors.ENOENT) {
                    cursor.done = true;
                } else {
                    MemorySegment.copy(cursor.outToken, 0, cursor.inToken, 0, cursor.inToken.byteSize());
                    cursor.started = true;
                }
                return read;
            }
            boolean unsupported = rc == -Errors.ENOTSUPP || rc == -Errors.EOPNOTSUPP
                    || (rc == -Errors.EINVAL && !cursor.started);
            if (!unsupported || cursor.started) {
                throw Errors.of("batch lookup in map '" + map.name() + "' (" + maxCount + " entries)", rc,
                        rc == -Errors.ENOSPC ? " (a hash bucket holds more entries than fit; pass a larger buffer)"
                                : "");
            }
            LOG.debug("map '{}' ({}): kernel refused batch lookup ({}); using get_next_key", map.name(), map.type(),
                    Errors.describe(rc));
            map.useNextKeyFallback();
        }
        return nextKeyLookup(map, mapFd, cursor, keys, values, maxCount);
    }

    private static int nextKeyLookup(BpfMap map, int mapFd, MapBatchCursor cursor, MemorySegment keys,
            MemorySegment values, int maxCount) {
        int ks = map.keySize();
        int vs = map.valueStride();
        int read = 0;
        try {
            while (read < maxCount) {
                MemorySegment key = keys.asSlice((long) read * ks, ks);
                MemorySegment previous = cursor.started ? cursor.lastKey : MemorySegment.NULL;
                int rc = (int) Libbpf.MAP_GET_NEXT_KEY.invokeExact(mapFd, previous, key);
                if (rc == -Errors.ENOENT) {
                    cursor.done = true;
                    break;
                }
                if (rc < 0) {
                    throw Errors.of("get next key of map '" + map.name() + "'", rc);
                }
                MemorySegment.copy(key, 0, cursor.lastKey, 0, ks);
                cursor.started = true;
                rc = (int) Libbpf.MAP_LOOKUP_ELEM.invokeExact(mapFd, key, values.asSlice((long) read * vs, vs));
                if (rc == 0) {
                    read++;
                } else if (rc != -Errors.ENOENT) { // ENOENT: deleted meanwhile, skip it
                    throw Errors.of("lookup in map '" + map.name() + "'", rc);
                }
            }
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        return read;
    }

    static int update(BpfMap map, MemorySegment keys, MemorySegment values, int count, UpdateFlag flag) {
        int mapFd = map.fd();
        BpfMap.requireSegment(keys, (long) map.keySize() * count, "keys buffer");
        BpfMap.requireSegment(values, (long) map.valueStride() * count, "values buffer");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment countSegment = arena.allocate(JAVA_INT);
            countSegment.set(JAVA_INT, 0, count);
            MemorySegment opts = MapBatchCursor.batchOpts(arena, flag.bits);
            int rc = (int) Libbpf.MAP_UPDATE_BATCH.invokeExact(mapFd, keys, values, countSegment, opts);
            if (rc < 0) {
                throw Errors.of("batch update of map '" + map.name() + "' (" + count + " entries, "
                        + countSegment.get(JAVA_INT, 0) + " written)", rc);
            }
            return countSegment.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    static int delete(BpfMap map, MemorySegment keys, int count) {
        int mapFd = map.fd();
        int ks = map.keySize();
        BpfMap.requireSegment(keys, (long) ks * count, "keys buffer");
        int deleted = 0;
        int done = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment countSegment = arena.allocate(JAVA_INT);
            MemorySegment opts = MapBatchCursor.batchOpts(arena, 0);
            while (done < count) {
                countSegment.set(JAVA_INT, 0, count - done);
                MemorySegment rest = keys.asSlice((long) done * ks);
                int rc = (int) Libbpf.MAP_DELETE_BATCH.invokeExact(mapFd, rest, countSegment, opts);
                int processed = countSegment.get(JAVA_INT, 0);
                deleted += processed;
                done += processed;
                if (rc == 0) {
                    break;
                }
                if (rc != -Errors.ENOENT) {
                    throw Errors.of("batch delete from map '" + map.name() + "' (" + count + " keys, " + deleted
                            + " deleted)", rc);
                }
                done++; // the kernel stopped at a key that is not there: skip it
            }
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        return deleted;
    }
}
