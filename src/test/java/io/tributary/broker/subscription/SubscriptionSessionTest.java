package io.tributary.broker.subscription;

import io.tributary.records.ConsumedRecord;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The delivery loop on real partition logs in a temp dir, with a fake connection. */
class SubscriptionSessionTest {

    private static final SubscriptionLimits LIMITS = new SubscriptionLimits(1_000, 1_000_000, 1L << 30, 4_096, 16);

    @TempDir
    Path tmp;

    private ScheduledExecutorService scheduler;
    private ExecutorService executor;
    private LogManager logs;
    private final PartitionWatchers watchers = new PartitionWatchers();
    private final Clock clock = Clock.systemUTC();

    /** A connection that completes sends at once (or holds them when stalled) and keeps what it got. */
    static class FakeSink implements Sink {
        final List<String> frames = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<Consumer<Throwable>> held = new ConcurrentLinkedQueue<>();
        final List<RuntimeException> failures = new CopyOnWriteArrayList<>();
        volatile boolean stalled;
        volatile int closeCode = -1;
        volatile int concurrentSends;
        volatile int maxConcurrentSends;

        @Override
        public synchronized void send(String frame, Consumer<Throwable> onDone) {
            frames.add(frame);
            concurrentSends++;
            maxConcurrentSends = Math.max(maxConcurrentSends, concurrentSends);
            Consumer<Throwable> done = t -> {
                synchronized (this) {
                    concurrentSends--;
                }
                onDone.accept(t);
            };
            if (stalled) {
                held.add(done);
            } else {
                done.accept(null);
            }
        }

        void unstall() {
            stalled = false;
            Consumer<Throwable> d;
            while ((d = held.poll()) != null) {
                d.accept(null);
            }
        }

        @Override
        public void close(int code, String reason) {
            closeCode = code;
        }

        @Override
        public void deliveryFailed(RuntimeException failure) {
            failures.add(failure);
        }

        List<String> records() {
            return frames.stream().filter(f -> !f.startsWith("ack") && !f.startsWith("reply")).toList();
        }
    }

    /** Encodes a record as "topic-partition@offset=value" and a batch as "[a|b|c]". */
    static final RecordEncoder ENCODER = new RecordEncoder() {
        @Override
        public long record(StringBuilder out, TopicPartition tp, ConsumedRecord r) {
            String text = tp + "@" + r.offset() + "=" + StandardCharsets.UTF_8.decode(r.value().duplicate());
            out.append(text);
            return SubscriptionSession.utf8Length(text);
        }

        @Override
        public void batchStart(StringBuilder out, TopicPartition tp) {
            out.append('[');
        }

        @Override
        public void batchSeparator(StringBuilder out) {
            out.append('|');
        }

        @Override
        public void batchEnd(StringBuilder out) {
            out.append(']');
        }
    };

    @BeforeEach
    void setUp() {
        scheduler = Executors.newSingleThreadScheduledExecutor();
        executor = Executors.newFixedThreadPool(4);
        logs = new LogManager(new LogManagerConfig(List.of(tmp), 60_000, 60_000, 1), LogConfig.defaults(), clock,
                scheduler, executor);
        logs.startup(t -> LogConfig.defaults()).join();
    }

    @AfterEach
    void tearDown() throws Exception {
        logs.close();
        executor.shutdownNow();
        scheduler.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    private PartitionLog log(int partition) {
        return logs.getOrCreateLog(new TopicPartition("orders", partition), LogConfig.defaults());
    }

    /** Appends values as one batch and commits them, as a sole replica does. */
    private static void append(PartitionLog log, String... values) {
        List<ProducedRecord> records = new ArrayList<>();
        for (String v : values) {
            records.add(new ProducedRecord(null, ByteBuffer.wrap(v.getBytes(StandardCharsets.UTF_8)), -1, null));
        }
        for (var batch : RecordBatches.build(records, "producer", 1 << 20, System.currentTimeMillis())) {
            log.appendAsLeader(batch, 0);
        }
        log.updateHighWatermark(log.logEndOffset());
    }

    private static void appendMany(PartitionLog log, int count, String prefix) {
        for (int i = 0; i < count; i++) {
            append(log, prefix + i);
        }
    }

    private SubscriptionSession session(FakeSink sink, SubscriptionLimits limits) {
        return new SubscriptionSession(sink, executor, watchers, limits);
    }

    private static List<SubscriptionSession.Assigned> subscribe(SubscriptionSession s, PartitionLog log,
                                                              StartPosition from, Framing framing) {
        return s.subscribe(List.of(new PartitionSubscription(log, from, ENCODER, framing)), a -> "ack" + a);
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    /** Waits until nothing more is sent for a moment, for asserting that something does not happen. */
    private static void settle(FakeSink sink) throws InterruptedException {
        int before;
        do {
            before = sink.frames.size();
            Thread.sleep(100);
        } while (sink.frames.size() != before);
    }

    @Test
    void deliversFromEarliestInOffsetOrderWithoutGaps() {
        PartitionLog log = log(0);
        append(log, "a", "b", "c");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, LIMITS);
        assertEquals(0, subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD).get(0).offset());
        appendMany(log, 50, "v");
        await(() -> sink.records().size() == 53, "53 records");
        assertTrue(sink.frames.get(0).startsWith("ack"), "the subscribed answer comes first: " + sink.frames.get(0));
        for (int i = 0; i < 53; i++) {
            assertTrue(sink.records().get(i).startsWith("orders-0@" + i + "="), sink.records().get(i));
        }
        assertEquals(1, sink.maxConcurrentSends, "one frame in flight at a time");
    }

    @Test
    void latestStartsAtTheHighWatermarkAndAnAppendWakesTheSession() {
        PartitionLog log = log(0);
        append(log, "old1", "old2");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, LIMITS);
        assertEquals(2, subscribe(s, log, new StartPosition.Latest(), Framing.RECORD).get(0).offset());
        append(log, "new");
        await(() -> sink.records().size() == 1, "the new record");
        assertEquals("orders-0@2=new", sink.records().get(0));
    }

    @Test
    void exactOffsetAndTimestampPositionsResolve() throws Exception {
        PartitionLog log = log(0);
        append(log, "a", "b", "c");
        Thread.sleep(5);
        long ts = System.currentTimeMillis();
        Thread.sleep(5);
        append(log, "d", "e");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, LIMITS);
        assertEquals(3, subscribe(s, log, new StartPosition.AtTimestamp(ts), Framing.RECORD).get(0).offset());
        await(() -> sink.records().size() == 2, "d and e");
        assertEquals(List.of("orders-0@3=d", "orders-0@4=e"), sink.records());

        FakeSink sink2 = new FakeSink();
        SubscriptionSession s2 = session(sink2, LIMITS);
        subscribe(s2, log, new StartPosition.AtOffset(4), Framing.RECORD);
        await(() -> sink2.records().size() == 1, "e");
        assertEquals("orders-0@4=e", sink2.records().get(0));

        SubscriptionSession s3 = session(new FakeSink(), LIMITS);
        assertEquals(5, subscribe(s3, log, new StartPosition.AtTimestamp(ts + 60_000), Framing.RECORD).get(0).offset(),
                "a timestamp after every record starts at the end");
    }

    @Test
    void anOffsetOutsideTheLogIsRefusedWithTheValidRange() {
        PartitionLog log = log(0);
        append(log, "a", "b");
        SubscriptionSession s = session(new FakeSink(), LIMITS);
        StartOffsetOutOfRangeException e = assertThrows(StartOffsetOutOfRangeException.class,
                () -> subscribe(s, log, new StartPosition.AtOffset(3), Framing.RECORD));
        assertEquals(0, e.first());
        assertEquals(2, e.end());
        assertTrue(e.getMessage().contains("0 to 2"), e.getMessage());
        assertEquals(0, watchers.watchedLogs(), "a refused subscription watches nothing");
        // The end itself is valid: resume after the last record.
        assertEquals(2, subscribe(s, log, new StartPosition.AtOffset(2), Framing.RECORD).get(0).offset());
    }

    @Test
    void neverSendsPastRecordCredit() throws Exception {
        PartitionLog log = log(0);
        appendMany(log, 30, "v");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, new SubscriptionLimits(5, 1_000, 1L << 30, 4_096, 16));
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        await(() -> sink.records().size() == 5, "5 records");
        settle(sink);
        assertEquals(5, sink.records().size());
        s.grant(10, 0);
        await(() -> sink.records().size() == 15, "15 records");
        settle(sink);
        assertEquals(15, sink.records().size());
        assertEquals(0, s.stats().creditRecords());
        assertEquals("orders-0@14=v14", sink.records().get(14));
    }

    @Test
    void neverSendsPastByteCredit() throws Exception {
        PartitionLog log = log(0);
        appendMany(log, 20, "v");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, new SubscriptionLimits(0, 1_000, 1L << 30, 4_096, 16));
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        int one = "orders-0@0=v0".length();
        s.grant(1_000, 3L * one + 2);
        await(() -> sink.records().size() == 3, "3 records");
        settle(sink);
        assertEquals(3, sink.records().size(), "a fourth record does not fit the bytes granted");
        assertEquals(2, s.stats().creditBytes());
    }

    @Test
    void creditBeyondTheMaximumIsRefusedAndNothingIsAdded() {
        SubscriptionSession s = session(new FakeSink(), new SubscriptionLimits(10, 100, 1_000, 4_096, 16));
        assertThrows(CreditOverflowException.class, () -> s.grant(91, 0));
        assertThrows(CreditOverflowException.class, () -> s.grant(0, 1_001));
        assertEquals(10, s.stats().creditRecords());
        s.grant(90, 1_000);
        assertEquals(100, s.stats().creditRecords());
        assertEquals(1_000, s.stats().creditBytes());
    }

    @Test
    void unsubscribingDropsUnsentRecordsGivesTheirCreditBackAndItsNoticeIsTheLastFrameAboutThePartition()
            throws Exception {
        PartitionLog p0 = log(0);
        PartitionLog p1 = log(1);
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, LIMITS);
        s.subscribe(List.of(new PartitionSubscription(p0, new StartPosition.Earliest(), ENCODER, Framing.RECORD),
                new PartitionSubscription(p1, new StartPosition.Earliest(), ENCODER, Framing.RECORD)), a -> "ack" + a);
        await(() -> sink.frames.size() == 1, "the ack");
        sink.stalled = true;
        appendMany(p0, 20, "a");
        appendMany(p1, 20, "b");
        await(() -> sink.held.size() == 1, "one record in flight");
        settle(sink);
        TopicPartition tp0 = p0.topicPartition();
        Map<TopicPartition, Long> delivered = s.unsubscribe(List.of(tp0), d -> "reply revoked " + d);
        assertEquals(Map.of(tp0, 0L), delivered, "nothing of orders-0 was handed over yet");
        assertEquals(Set.of(p1.topicPartition()), s.partitions());

        sink.unstall();
        await(() -> sink.frames.stream().filter(f -> f.startsWith("orders-1@")).count() == 20, "all of orders-1");
        settle(sink);
        int notice = sink.frames.indexOf("reply revoked " + delivered);
        assertTrue(notice > 0, "the notice is sent: " + sink.frames);
        for (int i = notice + 1; i < sink.frames.size(); i++) {
            assertFalse(sink.frames.get(i).startsWith("orders-0@"), "a record of orders-0 after its notice: " + sink.frames);
        }
        long sentRecords = sink.records().size();
        assertEquals(LIMITS.initialCreditRecords() - sentRecords, s.stats().creditRecords(),
                "records read but never sent cost no credit");
        assertEquals(Map.of(p1.topicPartition(), 20L), s.delivered());
    }

    @Test
    void aStalledClientCostsOneFrameInFlightAndOneBufferNoMore() throws Exception {
        PartitionLog log = log(0);
        FakeSink sink = new FakeSink();
        sink.stalled = true;
        SubscriptionLimits limits = new SubscriptionLimits(1_000_000, 1_000_000, 1L << 30, 4_096, 16);
        SubscriptionSession s = session(sink, limits);
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        await(() -> sink.frames.size() == 1, "the ack");
        String big = "x".repeat(500);
        for (int i = 0; i < 2_000; i++) {
            append(log, big + i);
        }
        settle(sink);
        SubscriptionSession.Stats stats = s.stats();
        assertEquals(1, sink.frames.size(), "nothing is sent while the first send has not completed");
        assertTrue(stats.sending());
        assertTrue(stats.queuedBytes() <= limits.bufferBytes() + 600, "queued " + stats.queuedBytes());
        assertEquals(0L, stats.nextOffsets().get(new TopicPartition("orders", 0)), "nothing read yet");

        sink.unstall();
        await(() -> sink.records().size() == 2_000, "every record once the client reads");
        for (int i = 0; i < 2_000; i++) {
            assertTrue(sink.records().get(i).startsWith("orders-0@" + i + "="));
        }
    }

    @Test
    void aStalledSessionDoesNotHoldUpAnother() {
        PartitionLog log = log(0);
        FakeSink slow = new FakeSink();
        slow.stalled = true;
        FakeSink fast = new FakeSink();
        SubscriptionLimits limits = new SubscriptionLimits(1_000_000, 1_000_000, 1L << 30, 4_096, 16);
        subscribe(session(slow, limits), log, new StartPosition.Earliest(), Framing.RECORD);
        subscribe(session(fast, limits), log, new StartPosition.Earliest(), Framing.RECORD);
        appendMany(log, 500, "v");
        await(() -> fast.records().size() == 500, "the fast session gets everything");
        assertEquals(1, slow.frames.size());
    }

    @Test
    void batchFramingGroupsRecordsOfOnePartitionUpToTheBuffer() {
        PartitionLog log = log(0);
        appendMany(log, 100, "v");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, new SubscriptionLimits(1_000, 1_000, 1L << 30, 1_024, 16));
        subscribe(s, log, new StartPosition.Earliest(), Framing.BATCH);
        await(() -> sink.records().stream().mapToInt(f -> f.split("\\|").length).sum() == 100, "100 records");
        assertTrue(sink.records().size() > 1 && sink.records().size() < 20, "batched: " + sink.records().size());
        List<String> all = sink.records().stream()
                .flatMap(f -> List.of(f.substring(1, f.length() - 1).split("\\|")).stream()).toList();
        for (int i = 0; i < 100; i++) {
            assertEquals("orders-0@" + i + "=v" + i, all.get(i));
        }
    }

    @Test
    void aBatchedReadOfMoreThanTheFrameLimitIsSplitIntoFramesOfAboutTheLimitInOrder() {
        PartitionLog log = log(0);
        String big = "x".repeat(1_000);
        for (int i = 0; i < 1_000; i++) {
            append(log, i + big);
        }
        FakeSink sink = new FakeSink();
        SubscriptionLimits limits = new SubscriptionLimits(1_000_000, 1_000_000, 1L << 30, 1 << 20, 16);
        SubscriptionSession s = session(sink, limits);
        subscribe(s, log, new StartPosition.Earliest(), Framing.BATCH);
        await(() -> sink.records().stream().mapToInt(f -> f.split("\\|").length).sum() == 1_000, "1000 records");
        long record = ("orders-0@999=999" + big).length();
        for (String f : sink.records()) {
            assertTrue(f.startsWith("[") && f.endsWith("]"), "whole frames");
            assertTrue(f.length() <= SubscriptionSession.MAX_BATCH_FRAME_BYTES + record + 300, "frame of " + f.length());
        }
        // About 1 MiB of records: four frames of a quarter MiB each per read of the buffer.
        assertTrue(sink.records().size() >= 4, "frames: " + sink.records().size());
        List<String> all = sink.records().stream()
                .flatMap(f -> List.of(f.substring(1, f.length() - 1).split("\\|")).stream()).toList();
        for (int i = 0; i < 1_000; i++) {
            assertEquals("orders-0@" + i + "=" + i + big, all.get(i));
        }
        assertEquals(1_000L, s.delivered().get(new TopicPartition("orders", 0)));
    }

    @Test
    void partitionsAreServedInTurn() {
        PartitionLog p0 = log(0);
        PartitionLog p1 = log(1);
        appendMany(p0, 200, "a");
        appendMany(p1, 200, "b");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, new SubscriptionLimits(1_000, 1_000, 1L << 30, 1_024, 16));
        s.subscribe(List.of(new PartitionSubscription(p0, new StartPosition.Earliest(), ENCODER, Framing.BATCH),
                new PartitionSubscription(p1, new StartPosition.Earliest(), ENCODER, Framing.BATCH)), a -> "ack");
        await(() -> sink.records().size() >= 4, "four frames");
        assertTrue(sink.records().get(0).startsWith("[orders-0@"));
        assertTrue(sink.records().get(1).startsWith("[orders-1@"), "the second frame is from the other partition");
    }

    @Test
    void aPartitionIsSubscribedOnlyOncePerSession() {
        PartitionLog log = log(0);
        SubscriptionSession s = session(new FakeSink(), LIMITS);
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        assertThrows(AlreadySubscribedException.class, () -> subscribe(s, log, new StartPosition.Latest(), Framing.RECORD));
    }

    @Test
    void terminateSendsTheErrorAfterPendingAnswersThenCloses() {
        PartitionLog log = log(0);
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, new SubscriptionLimits(0, 1_000, 1L << 30, 4_096, 16));
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        assertTrue(s.reply("reply1"));
        s.terminate("error", 4404, "gone");
        await(() -> sink.closeCode == 4404, "close");
        assertEquals("error", sink.frames.get(sink.frames.size() - 1));
        assertTrue(sink.frames.contains("reply1"));
        assertFalse(s.reply("late"), "nothing is queued after termination");
        assertEquals(0, watchers.watchedLogs(), "a closed session lets go of its logs");
    }

    @Test
    void tooManyUnsentAnswersAreRefused() {
        FakeSink sink = new FakeSink();
        sink.stalled = true;
        SubscriptionSession s = session(sink, new SubscriptionLimits(0, 1_000, 1L << 30, 4_096, 3));
        assertTrue(s.reply("reply0"));
        await(() -> sink.frames.size() == 1, "the first answer in flight");
        for (int i = 1; i <= 3; i++) {
            assertTrue(s.reply("reply" + i));
        }
        assertFalse(s.reply("one too many"));
    }

    @Test
    void aFailedSendClosesTheSession() {
        PartitionLog log = log(0);
        Sink failing = new FakeSink() {
            @Override
            public synchronized void send(String frame, Consumer<Throwable> onDone) {
                frames.add(frame);
                onDone.accept(new java.io.IOException("timed out"));
            }
        };
        FakeSink sink = (FakeSink) failing;
        SubscriptionSession s = session(sink, LIMITS);
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        await(() -> sink.closeCode == SubscriptionSession.CLOSE_SEND_FAILED, "close 4408");
        assertEquals(0, watchers.watchedLogs());
    }

    @Test
    void readingADeletedLogIsReportedOnce() {
        PartitionLog log = log(0);
        append(log, "a");
        FakeSink sink = new FakeSink();
        SubscriptionSession s = session(sink, new SubscriptionLimits(0, 1_000, 1L << 30, 4_096, 16));
        subscribe(s, log, new StartPosition.Earliest(), Framing.RECORD);
        logs.deleteLog(new TopicPartition("orders", 0));
        s.grant(10, 0);
        await(() -> !sink.failures.isEmpty(), "the failure");
        s.terminate("error", 4404, "deleted");
        await(() -> sink.closeCode == 4404, "close");
    }

    @Test
    void utf8LengthCountsBytes() {
        assertEquals(3, SubscriptionSession.utf8Length("abc"));
        assertEquals(2, SubscriptionSession.utf8Length("é"));
        assertEquals(3, SubscriptionSession.utf8Length("€"));
        assertEquals(4, SubscriptionSession.utf8Length("😀"));
    }
}
