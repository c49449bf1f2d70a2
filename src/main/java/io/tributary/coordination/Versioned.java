package io.tributary.coordination;

import java.util.concurrent.ConcurrentMap;

import org.apache.zookeeper.data.Stat;

/**
 * A value read from a znode, stamped with the zxids that created and last modified it, so updates
 * arriving out of order (a cache event racing our own write) can never roll the view back.
 *
 * <p>A {@code null} value is a tombstone: the znode was deleted, and any update not newer than
 * the deletion is stale. Immutable.
 */
record Versioned<V>(V value, long czxid, long mzxid) {

    static <V> Versioned<V> of(V value, Stat stat) {
        return new Versioned<>(value, stat.getCzxid(), stat.getMzxid());
    }

    boolean isLive() {
        return value != null;
    }

    /** Records a value unless the map already holds something at least as new. */
    static <K, V> void apply(ConcurrentMap<K, Versioned<V>> map, K key, V value, Stat stat) {
        Versioned<V> update = of(value, stat);
        map.merge(key, update, (old, nu) -> nu.mzxid > old.mzxid ? nu : old);
    }

    /**
     * Records that the znode with these zxids was deleted, unless the map holds a newer
     * incarnation (the znode was re-created after the deletion).
     */
    static <K, V> void remove(ConcurrentMap<K, Versioned<V>> map, K key, long czxid, long mzxid) {
        map.compute(key, (k, old) -> {
            if (old != null && old.czxid > czxid) {
                return old;
            }
            return new Versioned<>(null, czxid, Math.max(mzxid, old == null ? mzxid : old.mzxid));
        });
    }
}
