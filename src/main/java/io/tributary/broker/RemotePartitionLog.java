package io.tributary.broker;

import io.tributary.storage.OffsetAndTimestamp;
import io.tributary.storage.PartitionLog;
import io.tributary.storage.ReadableLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A partition read on a broker that holds no replica of it: offsets and records come from the
 * partition's leader, as a consumer gets them (Fetch and ListOffsets through the
 * {@link LeaderForwarder}, so only committed records), and while anyone listens, one long-polling
 * Fetch at a time follows the leader's high watermark and tells the listeners when it advances, as a
 * local log does after a commit. So WebSocket subscriptions and REST consumer instances serve such a
 * partition through the same delivery path as a local one.
 *
 * <p>The records a long poll brings back are kept (one chunk) and answer the read that follows: a
 * reader that is caught up asks for exactly the records after the old high watermark, so following a
 * partition costs one round trip to the leader per advance. Other reads are Fetches of their own.
 *
 * <p>Whenever this broker has a replica of the partition (it gained one after this object was made),
 * every call is answered by the local log instead, and the follower loop relays that log's advances.
 * Leadership moving is the forwarder's business: it asks the metadata for the leader on every call
 * and retries while leadership moves.
 *
 * <p>Thread-safety: thread-safe. The offsets only move forward, except when the leader answers that
 * a position is out of range (its log was truncated or cut at the start): then they are re-read from
 * the leader as they are. Listeners are called on the follower loop's thread. While it has
 * listeners, the loop holds one executor thread, blocked in the leader's long poll most of the time.
 */
public final class RemotePartitionLog implements ReadableLog {

    private static final System.Logger LOG = System.getLogger(RemotePartitionLog.class.getName());
    private static final long UNKNOWN = -1;

    /**
     * @param maxBytes  how much one Fetch asks of the leader
     * @param maxWaitMs how long the follower loop's Fetch waits at the leader for a new record
     * @param backoffMs the pause after a failed Fetch
     */
    public record Settings(int maxBytes, int maxWaitMs, long backoffMs) {
    }

    /** Records a long poll brought back: from {@code fromOffset} (inclusive) to {@code untilOffset}. */
    private record Chunk(long fromOffset, long untilOffset, MemoryRecords records) {
    }

    private final TopicPartition tp;
    private final LeaderForwarder forwarder;
    private final Function<TopicPartition, Optional<PartitionLog>> localReplica;
    private final Executor executor;
    private final Settings settings;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Relays a local replica's advances to {@link #listeners}; attached only by the follower loop. */
    private final Listener relay = (log, hw) -> notifyListeners(hw);
    private final AtomicBoolean following = new AtomicBoolean();
    /** Guards the read-compare-write of the offsets below. */
    private final Object offsetsLock = new Object();
    private volatile long logStartOffset = UNKNOWN;
    private volatile long highWatermark = UNKNOWN;
    private volatile Chunk chunk;
    private volatile boolean closed;
    /** The local replica whose advances are relayed now; touched only by the follower loop. */
    private PartitionLog relayed;

    RemotePartitionLog(TopicPartition tp, LeaderForwarder forwarder,
                       Function<TopicPartition, Optional<PartitionLog>> localReplica, Executor executor, Settings settings) {
        this.tp = tp;
        this.forwarder = forwarder;
        this.localReplica = localReplica;
        this.executor = executor;
        this.settings = settings;
    }

    @Override
    public TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public long logStartOffset() {
        Optional<PartitionLog> local = localReplica.apply(tp);
        if (local.isPresent()) {
            return local.get().logStartOffset();
        }
        ensureKnown();
        return logStartOffset;
    }

    @Override
    public long highWatermark() {
        Optional<PartitionLog> local = localReplica.apply(tp);
        if (local.isPresent()) {
            return local.get().highWatermark();
        }
        ensureKnown();
        return highWatermark;
    }

    /**
     * Reads at the leader, or from the kept chunk when it holds {@code startOffset}. The records are
     * all committed at the leader, so every one is below {@link #highWatermark()} once this returns.
     */
    @Override
    public PartitionLog.LogReadInfo read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage) {
        Optional<PartitionLog> local = localReplica.apply(tp);
        if (local.isPresent()) {
            return local.get().read(startOffset, maxBytes, maxOffsetExclusive, minOneMessage);
        }
        Chunk c = chunk;
        if (c != null && startOffset >= c.fromOffset() && startOffset < c.untilOffset()) {
            return info(from(c.records(), startOffset));
        }
        LeaderForwarder.Fetched fetched;
        try {
            fetched = forwarder.fetch(tp, startOffset, maxBytes);
        } catch (LeaderForwarder.LeaderIsLocal e) {
            // This broker leads the partition now, so it has a replica.
            return localReplica.apply(tp).orElseThrow(() -> new LeaderNotAvailableException("Partition " + tp
                    + " is moving to this broker; retry.")).read(startOffset, maxBytes, maxOffsetExclusive, minOneMessage);
        }
        learn(fetched.logStartOffset(), fetched.highWatermark());
        return info(fetched.records());
    }

    @Override
    public Optional<OffsetAndTimestamp> offsetForTimestamp(long timestampMs) {
        Optional<PartitionLog> local = localReplica.apply(tp);
        if (local.isPresent()) {
            return local.get().offsetForTimestamp(timestampMs);
        }
        long offset;
        try {
            offset = forwarder.offsetForTimestamp(tp, timestampMs);
        } catch (LeaderForwarder.LeaderIsLocal e) {
            return localReplica.apply(tp).flatMap(l -> l.offsetForTimestamp(timestampMs));
        }
        // ListOffsets answers the offset only; the record's own timestamp is at least the one asked for.
        return offset < 0 ? Optional.empty() : Optional.of(new OffsetAndTimestamp(offset, timestampMs));
    }

    private PartitionLog.LogReadInfo info(MemoryRecords records) {
        long hw = highWatermark;
        return new PartitionLog.LogReadInfo(records, hw, logStartOffset, hw);
    }

    /** The batches of {@code records} from the one holding {@code offset} on, without copying. */
    private static MemoryRecords from(MemoryRecords records, long offset) {
        int position = 0;
        for (RecordBatch batch : records.batches()) {
            if (batch.lastOffset() >= offset) {
                break;
            }
            position += batch.sizeInBytes();
        }
        if (position == 0) {
            return records;
        }
        ByteBuffer buffer = records.buffer();
        buffer.position(position);
        return MemoryRecords.readableRecords(buffer.slice());
    }

    @Override
    public void addListener(Listener l) {
        listeners.add(l);
        startFollowing();
    }

    @Override
    public void removeListener(Listener l) {
        // The loop notices at its next turn (within one long poll) and stops.
        listeners.remove(l);
    }

    /** Stops the follower loop (within one long poll) for good. */
    void close() {
        closed = true;
    }

    /** Whether the follower loop runs (for tests and diagnostics). */
    boolean following() {
        return following.get();
    }

    private void ensureKnown() {
        if (highWatermark == UNKNOWN) {
            refreshOffsets();
        }
    }

    /** Re-reads both offsets from the leader as they are, even if they went back. */
    private void refreshOffsets() {
        LeaderForwarder.LeaderOffsets offsets;
        try {
            offsets = forwarder.offsets(tp);
        } catch (LeaderForwarder.LeaderIsLocal e) {
            return;
        }
        long advancedTo;
        synchronized (offsetsLock) {
            advancedTo = offsets.highWatermark() > highWatermark ? offsets.highWatermark() : UNKNOWN;
            logStartOffset = offsets.logStartOffset();
            highWatermark = offsets.highWatermark();
            chunk = null;
        }
        if (advancedTo != UNKNOWN) {
            notifyListeners(advancedTo);
        }
    }

    /** What a Fetch answer says of the offsets; they only move forward here. */
    private void learn(long leaderLogStart, long leaderHighWatermark) {
        long advancedTo = UNKNOWN;
        synchronized (offsetsLock) {
            if (leaderLogStart > logStartOffset) {
                logStartOffset = leaderLogStart;
            }
            if (leaderHighWatermark > highWatermark) {
                highWatermark = leaderHighWatermark;
                advancedTo = leaderHighWatermark;
            }
        }
        if (advancedTo != UNKNOWN) {
            notifyListeners(advancedTo);
        }
    }

    private void notifyListeners(long hw) {
        for (Listener l : listeners) {
            l.onHighWatermark(this, hw);
        }
    }

    private void startFollowing() {
        if (closed || !following.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(this::follow);
        } catch (RejectedExecutionException e) {
            following.set(false);
            LOG.log(Level.DEBUG, "Not following {0}: the executor is shut down", tp);
        }
    }

    private void follow() {
        try {
            while (!closed && !listeners.isEmpty() && !Thread.currentThread().isInterrupted()) {
                followOnce();
            }
        } finally {
            if (relayed != null) {
                relayed.removeListener(relay);
                relayed = null;
            }
            following.set(false);
        }
        // A listener added after the loop saw none, but before it stopped, would otherwise go unheard.
        if (!closed && !listeners.isEmpty()) {
            startFollowing();
        }
    }

    private void followOnce() {
        Optional<PartitionLog> local = localReplica.apply(tp);
        if (local.isPresent()) {
            if (relayed != local.get()) {
                if (relayed != null) {
                    relayed.removeListener(relay);
                }
                relayed = local.get();
                relayed.addListener(relay);
            }
            pause(settings.maxWaitMs());
            return;
        }
        if (relayed != null) {
            relayed.removeListener(relay);
            relayed = null;
        }
        try {
            ensureKnown();
            long from = highWatermark;
            if (from == UNKNOWN) {
                pause(settings.backoffMs());
                return;
            }
            LeaderForwarder.Fetched fetched = forwarder.fetch(tp, from, settings.maxBytes(), settings.maxWaitMs());
            long until = from;
            for (RecordBatch batch : fetched.records().batches()) {
                until = batch.nextOffset();
            }
            if (until > from) {
                chunk = new Chunk(from, until, fetched.records());
            }
            learn(fetched.logStartOffset(), fetched.highWatermark());
        } catch (OffsetOutOfRangeException e) {
            // The leader's log no longer holds the position (truncated by a new leader, or cut at the start).
            refreshOffsets();
        } catch (LeaderForwarder.LeaderIsLocal e) {
            // The next turn finds the local replica.
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Following {0} through its leader failed: {1}", tp, e.toString());
            pause(settings.backoffMs());
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "RemotePartitionLog(" + tp + ")";
    }
}
