package io.tributary.broker.subscription;

import io.tributary.storage.ReadableLog;
import io.tributary.records.ConsumedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One subscriber's live stream: the partitions it follows with the next offset of each, its credit,
 * and the delivery loop that moves records from the logs to its {@link Sink}.
 *
 * <p><b>Delivery.</b> A wake-up (a high-watermark advance, new credit, a completed send) schedules
 * one delivery task on the executor; wake-ups that arrive while one is pending or running are
 * coalesced into it, so a session never has two tasks at once. A task sends at most one frame and
 * only when the previous send has completed: answers first ({@code subscribed}, {@code produced},
 * errors), then records, read from the partitions in turn (round robin, so a busy partition does
 * not starve the others) from each one's next offset up to the credit and the session buffer.
 * Having handed a frame to the sink, the task reads and encodes the next record frames if none is
 * queued, so one is ready when the send completes. The completion of that send wakes the session
 * again. Nothing here blocks or polls.
 *
 * <p><b>Order.</b> Per partition, records are sent in offset order with no gaps and no duplicates:
 * the next offset moves only past records that were encoded and queued, under the state lock, and
 * one task at a time reads.
 *
 * <p><b>Memory.</b> However slow or stalled the subscriber, the broker holds for it at most one
 * frame in flight, {@code bufferBytes} of encoded records (one record more when a record is larger)
 * and {@code maxPendingReplies} answers; nothing is read past that until the socket takes it.
 *
 * <p><b>Thread-safety:</b> thread-safe. {@code stateLock} guards the cursors, credit, queues and
 * lifecycle; it is never held while calling the sink or the executor's tasks, and is held only for
 * bounded work (one read of at most {@code bufferBytes} plus encoding).
 */
public final class SubscriptionSession {

    /** Where a newly subscribed partition starts. */
    public record Assigned(TopicPartition topicPartition, long offset) {
    }

    /** A snapshot of the session's state, for tests and diagnostics. */
    public record Stats(Map<TopicPartition, Long> nextOffsets, long creditRecords, long creditBytes,
                        int queuedFrames, long queuedBytes, boolean sending, long framesSent) {
    }

    /** Close code when the client does not take a frame within the send timeout (or the send fails). */
    public static final int CLOSE_SEND_FAILED = 4408;

    private enum State { OPEN, CLOSING, CLOSED }

    /**
     * A frame waiting to be sent. Record frames carry their partition, how many records and credit
     * bytes they hold, and the offset after their last record; a ping is a WebSocket control frame.
     */
    private record Frame(String text, long bytes, TopicPartition tp, int records, long nextOffset, boolean ping) {
        static Frame reply(String text) {
            return new Frame(text, text.length(), null, 0, -1, false);
        }
    }

    private static final Frame PING = new Frame("", 0, null, 0, -1, true);

    /**
     * The credit bytes of records after which a {@code records} frame is closed and the next one
     * begun (one record more when a record is larger), within the session buffer. Why not one frame
     * of the whole buffer: each frame is held as three arrays of its size (the builder, its string,
     * the container's UTF-8 copy), and G1 allocates any array of half a region or more (regions are
     * at least 1 MiB) as a humongous object straight in the old generation, which costs far more to
     * allocate and collect than young objects; frames of a quarter MiB of ASCII text stay young.
     */
    static final long MAX_BATCH_FRAME_BYTES = 256 * 1024;

    private static final class Cursor {
        final PartitionSubscription subscription;
        final TopicPartition tp;
        long next;

        Cursor(PartitionSubscription subscription, long next) {
            this.subscription = subscription;
            this.tp = subscription.log().topicPartition();
            this.next = next;
        }
    }

    private final Sink sink;
    private final Executor executor;
    private final PartitionWatchers watchers;
    private final SubscriptionLimits limits;
    private final AtomicInteger wakeups = new AtomicInteger();

    /** Guards every field below. */
    private final Object stateLock = new Object();
    private final List<Cursor> cursors = new ArrayList<>();
    private final Map<TopicPartition, Cursor> cursorsByPartition = new LinkedHashMap<>();
    /** Per followed partition, the offset after the last record whose frame the sink took. */
    private final Map<TopicPartition, Long> delivered = new LinkedHashMap<>();
    private boolean pingQueued;
    private final ArrayDeque<Frame> replies = new ArrayDeque<>();
    private final ArrayDeque<Frame> recordFrames = new ArrayDeque<>();
    private final Credit credit;
    private long recordFrameBytes;
    private int nextCursor;
    private boolean sending;
    private long framesSent;
    private State state = State.OPEN;
    private Frame finalFrame;
    private int closeCode;
    private String closeReason;

    public SubscriptionSession(Sink sink, Executor executor, PartitionWatchers watchers, SubscriptionLimits limits) {
        this.sink = sink;
        this.executor = executor;
        this.watchers = watchers;
        this.limits = limits;
        this.credit = new Credit(limits.initialCreditRecords(), limits.maxCreditRecords(), limits.maxCreditBytes());
    }

    /**
     * Starts following partitions, all or none. The answer {@code ack} makes from the starting
     * offsets is queued before any record of these partitions can be.
     *
     * @throws AlreadySubscribedException     a partition is already followed (or named twice)
     * @throws StartOffsetOutOfRangeException a start offset the partition does not hold
     * @throws IllegalStateException          the session is closing
     */
    public List<Assigned> subscribe(List<PartitionSubscription> subscriptions, Function<List<Assigned>, String> ack) {
        List<Assigned> assigned = new ArrayList<>(subscriptions.size());
        synchronized (stateLock) {
            if (state != State.OPEN) {
                throw new IllegalStateException("The session is closing");
            }
            Set<TopicPartition> asked = new HashSet<>();
            for (PartitionSubscription s : subscriptions) {
                TopicPartition tp = s.log().topicPartition();
                if (cursorsByPartition.containsKey(tp) || !asked.add(tp)) {
                    throw new AlreadySubscribedException(tp);
                }
            }
            // Watch before resolving the start: an append in between wakes the session instead of being missed.
            for (PartitionSubscription s : subscriptions) {
                watchers.watch(s.log(), this);
            }
            try {
                for (PartitionSubscription s : subscriptions) {
                    assigned.add(new Assigned(s.log().topicPartition(), s.from().resolve(s.log())));
                }
            } catch (RuntimeException e) {
                for (PartitionSubscription s : subscriptions) {
                    watchers.unwatch(s.log(), this);
                }
                throw e;
            }
            for (int i = 0; i < subscriptions.size(); i++) {
                Cursor c = new Cursor(subscriptions.get(i), assigned.get(i).offset());
                cursors.add(c);
                cursorsByPartition.put(c.tp, c);
                delivered.put(c.tp, c.next);
            }
            String answer = ack.apply(List.copyOf(assigned));
            replies.addLast(Frame.reply(answer));
        }
        wake();
        return assigned;
    }

    /**
     * Adds credit and wakes the session.
     *
     * @throws CreditOverflowException the unspent credit would exceed the session's maximum; nothing is added
     */
    public void grant(long records, long bytes) {
        synchronized (stateLock) {
            credit.grant(records, bytes);
        }
        wake();
    }

    /**
     * Queues an answer (to a produce, say) ahead of any records not yet queued.
     *
     * @return false if {@code maxPendingReplies} answers already wait (the client is not reading) or the
     *     session is closing; the frame is then dropped
     */
    public boolean reply(String frame) {
        synchronized (stateLock) {
            if (state != State.OPEN || replies.size() >= limits.maxPendingReplies()) {
                return false;
            }
            replies.addLast(Frame.reply(frame));
        }
        wake();
        return true;
    }

    /**
     * Stops following partitions, then queues {@code notice}: records of these partitions that were
     * read but not yet sent are dropped (their credit is given back), so the notice is the last frame
     * about them the subscriber receives after a frame already in flight. Partitions not followed are
     * ignored.
     *
     * @param notice the answer to queue, made from what was delivered of each partition; null for none
     * @return per partition followed, the offset after the last record handed to the sink
     */
    public Map<TopicPartition, Long> unsubscribe(Collection<TopicPartition> partitions,
                                                 Function<Map<TopicPartition, Long>, String> notice) {
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        boolean queued = false;
        synchronized (stateLock) {
            for (TopicPartition tp : partitions) {
                Cursor c = cursorsByPartition.remove(tp);
                if (c == null) {
                    continue;
                }
                cursors.remove(c);
                watchers.unwatch(c.subscription.log(), this);
                out.put(tp, delivered.remove(tp));
            }
            if (nextCursor >= cursors.size()) {
                nextCursor = 0;
            }
            for (Iterator<Frame> it = recordFrames.iterator(); it.hasNext(); ) {
                Frame f = it.next();
                if (out.containsKey(f.tp())) {
                    it.remove();
                    recordFrameBytes -= f.bytes();
                    credit.refund(f.records(), f.bytes());
                }
            }
            if (notice != null && state == State.OPEN) {
                String text = notice.apply(Map.copyOf(out));
                if (text != null) {
                    replies.addLast(Frame.reply(text));
                    queued = true;
                }
            }
        }
        if (queued) {
            wake();
        }
        return out;
    }

    /** Per followed partition, the offset after the last record whose frame the sink took. */
    public Map<TopicPartition, Long> delivered() {
        synchronized (stateLock) {
            return Map.copyOf(delivered);
        }
    }

    /** The partitions followed now. */
    public Set<TopicPartition> partitions() {
        synchronized (stateLock) {
            return Set.copyOf(cursorsByPartition.keySet());
        }
    }

    /**
     * Queues a ping (a control frame the transport answers with a pong) ahead of records not yet
     * queued; at most one waits at a time.
     */
    public void ping() {
        synchronized (stateLock) {
            if (state != State.OPEN || pingQueued) {
                return;
            }
            pingQueued = true;
            replies.addLast(PING);
        }
        wake();
    }

    /**
     * Ends the session: sends {@code errorFrame} (if not null) after the answers already queued, drops
     * records not yet sent, then closes the connection with {@code code}. Idempotent: the first call wins.
     */
    public void terminate(String errorFrame, int code, String reason) {
        boolean closeNow = false;
        synchronized (stateLock) {
            if (state != State.OPEN) {
                return;
            }
            closeCode = code;
            closeReason = reason;
            recordFrames.clear();
            recordFrameBytes = 0;
            if (errorFrame == null) {
                closeNow = true;
                closeLocked();
            } else {
                state = State.CLOSING;
                finalFrame = Frame.reply(errorFrame);
                replies.addLast(finalFrame);
            }
        }
        if (closeNow) {
            sink.close(code, reason);
        } else {
            wake();
        }
    }

    /** The connection is gone: stop delivering and let go of the partitions. Idempotent. */
    public void close() {
        synchronized (stateLock) {
            closeLocked();
        }
    }

    private void closeLocked() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        for (Cursor c : cursors) {
            watchers.unwatch(c.subscription.log(), this);
        }
        replies.clear();
        recordFrames.clear();
        recordFrameBytes = 0;
        pingQueued = false;
    }

    /**
     * Marks the session ready. Cheap and non-blocking: safe on an appending thread. Schedules a
     * delivery task unless one is already pending or running.
     */
    public void wake() {
        if (wakeups.getAndIncrement() == 0) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // The server is shutting down; the connection goes with it.
                wakeups.set(0);
                terminate(null, 1001, "The broker is shutting down");
            }
        }
    }

    private void drain() {
        int seen = wakeups.get();
        while (true) {
            deliverOnce();
            int left = wakeups.addAndGet(-seen);
            if (left == 0) {
                return;
            }
            seen = left;
        }
    }

    private void deliverOnce() {
        Frame frame;
        try {
            synchronized (stateLock) {
                frame = nextFrameLocked();
                if (frame != null) {
                    sending = true;
                }
            }
        } catch (RuntimeException e) {
            sink.deliveryFailed(e);
            return;
        }
        if (frame == null) {
            return;
        }
        if (frame.ping()) {
            sink.ping(failure -> onSent(frame, failure));
        } else {
            sink.send(frame.text(), failure -> onSent(frame, failure));
        }
        prefetch();
    }

    /**
     * Reads and encodes the next record frame while the one just handed to the sink is on its way, so
     * the socket does not wait for encoding between frames. Stays within the memory bound: one frame in
     * flight plus at most {@code bufferBytes} of encoded records.
     */
    private void prefetch() {
        try {
            synchronized (stateLock) {
                if (state == State.OPEN && recordFrames.isEmpty()) {
                    fillLocked();
                }
            }
        } catch (RuntimeException e) {
            sink.deliveryFailed(e);
        }
    }

    private void onSent(Frame frame, Throwable failure) {
        boolean closeNow = false;
        synchronized (stateLock) {
            sending = false;
            framesSent++;
            if (frame.ping()) {
                pingQueued = false;
            } else if (failure == null && frame.tp() != null && cursorsByPartition.containsKey(frame.tp())) {
                delivered.merge(frame.tp(), frame.nextOffset(), Math::max);
            }
            if (failure != null) {
                if (state != State.CLOSED) {
                    closeCode = CLOSE_SEND_FAILED;
                    closeReason = "Send failed or timed out: " + failure;
                    closeLocked();
                    closeNow = true;
                }
            } else if (frame == finalFrame && state == State.CLOSING) {
                closeLocked();
                closeNow = true;
            }
        }
        if (closeNow) {
            sink.close(closeCode, closeReason);
        } else if (failure == null) {
            wake();
        }
    }

    private Frame nextFrameLocked() {
        if (state == State.CLOSED || sending) {
            return null;
        }
        Frame reply = replies.pollFirst();
        if (reply != null || state == State.CLOSING) {
            return reply;
        }
        if (recordFrames.isEmpty()) {
            fillLocked();
        }
        Frame frame = recordFrames.pollFirst();
        if (frame != null) {
            recordFrameBytes -= frame.bytes();
        }
        return frame;
    }

    /** Reads and encodes the next records of one partition that has some, within credit and buffer. */
    private void fillLocked() {
        int n = cursors.size();
        for (int i = 0; i < n && recordFrames.isEmpty() && !credit.exhausted(); i++) {
            int index = (nextCursor + i) % n;
            if (fillFrom(cursors.get(index))) {
                nextCursor = (index + 1) % n;
            }
        }
    }

    private boolean fillFrom(Cursor c) {
        ReadableLog log = c.subscription.log();
        RecordEncoder encoder = c.subscription.encoder();
        boolean batch = c.subscription.framing() == Framing.BATCH;
        while (true) {
            long hw = log.highWatermark();
            if (c.next >= hw) {
                return false;
            }
            PartitionLog.LogReadInfo info = log.read(c.next, limits.bufferBytes(), hw, true);
            // Records are encoded as the read visits them, straight into the frame (a batch) or into
            // one builder reused per record frame; once one does not fit, the walk stops, so the
            // rest of the read is neither loaded nor decoded (encoded records are larger than stored
            // ones: a read of bufferBytes holds about twice what the buffer takes).
            Fill fill = new Fill(c, encoder, batch, info.records().sizeInBytes());
            long after = RecordBatches.forEachWhile(info.records(), c.next,
                    (int) Math.min(credit.records(), Integer.MAX_VALUE), fill::add);
            long next = fill.next;
            if (!fill.stopped) {
                // Past control batches the visitor never saw.
                next = Math.max(next, after);
            }
            boolean progressed = next > c.next;
            c.next = next;
            if (fill.count > 0) {
                fill.endFrame();
                // The last frame also carries the offset past control batches skipped after it.
                Frame last = fill.frames.remove(fill.frames.size() - 1);
                fill.frames.add(new Frame(last.text(), last.bytes(), last.tp(), last.records(), next, false));
                recordFrames.addAll(fill.frames);
                recordFrameBytes += fill.used;
                return true;
            }
            if (!progressed || fill.stopped) {
                return false;
            }
        }
    }

    /**
     * Encodes the records of one read until credit or the session buffer runs out, into one frame per
     * record or into {@code records} frames of about {@link #MAX_BATCH_FRAME_BYTES} each. Used under
     * the state lock.
     */
    private final class Fill {
        final Cursor cursor;
        final RecordEncoder encoder;
        final boolean batch;
        /** The frame being written; reused for the next frame once its text is taken. */
        final StringBuilder out;
        /** The frames encoded so far; queued only once the whole read is encoded. */
        final List<Frame> frames = new ArrayList<>();
        final long frameLimit;
        int count;
        long used;
        long next;
        boolean stopped;
        /** Records and credit bytes in the {@code records} frame being written. */
        int frameCount;
        long frameUsed;

        Fill(Cursor cursor, RecordEncoder encoder, boolean batch, int readBytes) {
            this.cursor = cursor;
            this.encoder = encoder;
            this.batch = batch;
            this.next = cursor.next;
            this.frameLimit = Math.min(MAX_BATCH_FRAME_BYTES, limits.bufferBytes());
            // Sized for what a frame will likely hold (records and one separator each), so it is not
            // regrown and copied several times; never more than a frame can hold.
            this.out = new StringBuilder(batch ? (int) Math.min(frameLimit + frameLimit / 32 + 1024, 2L * readBytes + 1024) : 512);
        }

        /** Encodes one record; false (and nothing appended) once it does not fit. */
        boolean add(ConsumedRecord r) {
            if (batch && frameCount == 0) {
                out.setLength(0);
                encoder.batchStart(out, cursor.tp);
            } else if (!batch) {
                out.setLength(0);
            }
            int mark = out.length();
            if (batch && frameCount > 0) {
                encoder.batchSeparator(out);
            }
            long size = encoder.record(out, cursor.tp, r);
            if (!credit.allows(size) || (count > 0 && used + size > limits.bufferBytes())) {
                out.setLength(mark);
                stopped = true;
                return false;
            }
            credit.spend(size);
            count++;
            used += size;
            next = r.offset() + 1;
            if (!batch) {
                frames.add(new Frame(out.toString(), size, cursor.tp, 1, next, false));
                return true;
            }
            frameCount++;
            frameUsed += size;
            if (frameUsed >= frameLimit) {
                endFrame();
            }
            return true;
        }

        /** Closes the {@code records} frame being written, if it holds any record. */
        void endFrame() {
            if (!batch || frameCount == 0) {
                return;
            }
            encoder.batchEnd(out);
            frames.add(new Frame(out.toString(), frameUsed, cursor.tp, frameCount, next, false));
            frameCount = 0;
            frameUsed = 0;
        }
    }

    /** UTF-8 size of a string without encoding it. */
    static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0, len = s.length(); i < len; i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                bytes++;
            } else if (ch < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    public Stats stats() {
        synchronized (stateLock) {
            Map<TopicPartition, Long> positions = new LinkedHashMap<>();
            for (Cursor c : cursors) {
                positions.put(c.tp, c.next);
            }
            return new Stats(positions, credit.records(), credit.bytes(), recordFrames.size() + replies.size(),
                    recordFrameBytes, sending, framesSent);
        }
    }
}
