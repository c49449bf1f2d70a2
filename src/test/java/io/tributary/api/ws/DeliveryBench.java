package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.broker.subscription.Framing;
import io.tributary.broker.subscription.PartitionSubscription;
import io.tributary.broker.subscription.PartitionWatchers;
import io.tributary.broker.subscription.Sink;
import io.tributary.broker.subscription.StartPosition;
import io.tributary.broker.subscription.SubscriptionLimits;
import io.tributary.broker.subscription.SubscriptionSession;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The batched WebSocket delivery path without Liberty or a network: a {@link SubscriptionSession}
 * with the JSON encoder reads a partition log in a temp dir (records as {@code bin/bench-ws}
 * preloads them: JSON values of about 100 bytes, 1,000 a batch) and hands its frames to a sink that
 * does what the container does with a text frame before writing it (a UTF-8 copy), then completes
 * the send on another thread. Prints, per round, records/s, CPU time and heap allocated per record
 * (all threads of this JVM) and the collections so far. Allocation per record does not depend on
 * the machine's load, unlike the other figures. See bench/ws/README.md.
 *
 * <p>Usage: {@code DeliveryBench [RECORDS (300000)] [ROUNDS (8)] [BUFFER_BYTES (1048576)]}.
 */
public final class DeliveryBench {

    private DeliveryBench() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int bufferBytes = args.length > 2 ? Integer.parseInt(args[2]) : 1 << 20;
        Path dir = Files.createTempDirectory("delivery-bench");
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        ExecutorService executor = Executors.newFixedThreadPool(4);
        LogManager logs = new LogManager(new LogManagerConfig(List.of(dir), 60_000, 60_000, 1), LogConfig.defaults(),
                Clock.systemUTC(), scheduler, executor);
        try {
            logs.startup(t -> LogConfig.defaults()).join();
            PartitionLog log = logs.getOrCreateLog(new TopicPartition("bench", 0), LogConfig.defaults());
            preload(log, records);
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            for (int round = 0; round < rounds; round++) {
                CountingSink sink = new CountingSink(records, executor);
                long allocated0 = allocated(threads);
                long cpu0 = os.getProcessCpuTime();
                long start = System.nanoTime();
                SubscriptionSession session = new SubscriptionSession(sink, executor, new PartitionWatchers(),
                        new SubscriptionLimits(1_000, 100_000_000, 1L << 40, bufferBytes, 1_024));
                session.grant(records, 0);
                session.subscribe(List.of(new PartitionSubscription(log, new StartPosition.Earliest(),
                        new JsonRecordEncoder(EmbeddedFormat.JSON), Framing.BATCH)), a -> "{\"type\":\"subscribed\"}");
                sink.done.get(5, TimeUnit.MINUTES);
                double seconds = (System.nanoTime() - start) / 1e9;
                long cpu = os.getProcessCpuTime() - cpu0;
                long allocated = allocated(threads) - allocated0;
                session.close();
                System.out.printf(Locale.ROOT, "round %d: %,.0f records/s, CPU %.2f us/record, allocated %,d B/record,"
                                + " %d frames, %d frame bytes/record, %d collections so far%n", round, records / seconds,
                        cpu / 1e3 / records, allocated / records, sink.frames.get(), sink.bytes.get() / records, collections());
            }
        } finally {
            logs.close();
            executor.shutdownNow();
            scheduler.shutdownNow();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void preload(PartitionLog log, int records) {
        String pad = "x".repeat(80);
        for (int done = 0; done < records; ) {
            List<ProducedRecord> batch = new ArrayList<>();
            for (int i = 0; i < 1_000 && done < records; i++, done++) {
                byte[] value = ("{\"n\":" + done + ",\"p\":\"" + pad + "\"}").getBytes(StandardCharsets.UTF_8);
                batch.add(new ProducedRecord(null, ByteBuffer.wrap(value), -1, null));
            }
            for (var b : RecordBatches.build(batch, "producer", 1 << 20, System.currentTimeMillis())) {
                log.appendAsLeader(b, 0);
            }
        }
        log.updateHighWatermark(log.logEndOffset());
    }

    /** Counts the records of {@code records} frames by their type tag; completes {@link #done} at {@code expected}. */
    private static final class CountingSink implements Sink {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicLong records = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong frames = new AtomicLong();
        final long expected;
        final ExecutorService completions;

        CountingSink(long expected, ExecutorService completions) {
            this.expected = expected;
            this.completions = completions;
        }

        @Override
        public void send(String frame, Consumer<Throwable> onDone) {
            // The container encodes a text frame to UTF-8 before writing it.
            bytes.addAndGet(frame.getBytes(StandardCharsets.UTF_8).length);
            int n = 0;
            if (frame.startsWith("{\"type\":\"records\"")) {
                frames.incrementAndGet();
                for (int at = frame.indexOf("\"type\":\"record\""); at >= 0; at = frame.indexOf("\"type\":\"record\"", at + 1)) {
                    n++;
                }
            }
            if (records.addAndGet(n) >= expected) {
                done.complete(null);
            }
            completions.execute(() -> onDone.accept(null));
        }

        @Override
        public void close(int code, String reason) {
        }

        @Override
        public void deliveryFailed(RuntimeException failure) {
            done.completeExceptionally(failure);
        }
    }

    /** Bytes allocated so far by the live threads of this JVM. */
    private static long allocated(com.sun.management.ThreadMXBean threads) {
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }
}
