package io.tributary.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

/** Shared fixtures: a settable clock, a counting/faulting fsync seam, record builders, a manager harness. */
final class StorageTestSupport {

    private StorageTestSupport() {
    }

    static final TopicPartition TP = new TopicPartition("orders", 0);

    /** A clock tests move by hand. */
    static final class FakeClock extends Clock {
        private final AtomicLong millis;

        FakeClock(long startMs) {
            this.millis = new AtomicLong(startMs);
        }

        void advance(long ms) {
            millis.addAndGet(ms);
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** Counts fsyncs of .log files and can be told to fail them. */
    static final class CountingFileIo implements FileIo {
        final AtomicInteger logFsyncs = new AtomicInteger();
        final AtomicBoolean failFsync = new AtomicBoolean();

        @Override
        public void fsync(FileChannel channel, Path file, boolean metadata) throws IOException {
            if (failFsync.get()) {
                throw new IOException("injected fsync failure on " + file);
            }
            if (file.getFileName().toString().endsWith(".log")) {
                logFsyncs.incrementAndGet();
            }
            channel.force(metadata);
        }

        @Override
        public void fsyncMapped(MappedByteBuffer buffer, Path file) throws IOException {
            if (failFsync.get()) {
                throw new IOException("injected fsync failure on " + file);
            }
            buffer.force();
        }

        @Override
        public void fsyncDirectory(Path dir) throws IOException {
            FileIo.system().fsyncDirectory(dir);
        }
    }

    static LogConfig config(Map<String, String> overrides) {
        return LogConfig.defaults().withOverrides(overrides);
    }

    /** One uncompressed batch of {@code count} records "v<first+i>" with timestamps ts, ts+1, ... */
    static MemoryRecords batch(int first, int count, long ts) {
        return batch(Compression.NONE, first, count, ts, 0);
    }

    static MemoryRecords batch(Compression compression, int first, int count, long ts, int padding) {
        ByteBuffer buf = ByteBuffer.allocate(1024 + count * (64 + padding));
        MemoryRecordsBuilder b = MemoryRecords.builder(buf, RecordBatch.CURRENT_MAGIC_VALUE, compression,
                TimestampType.CREATE_TIME, 0L);
        for (int i = 0; i < count; i++) {
            String v = "v" + (first + i) + "x".repeat(padding);
            b.append(ts + i, ("k" + (first + i)).getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    /** Every record value in {@code records}, in order. */
    static List<String> values(Records records) {
        List<String> out = new ArrayList<>();
        for (Record r : records.records()) {
            byte[] b = new byte[r.valueSize()];
            r.value().get(b);
            out.add(new String(b, StandardCharsets.UTF_8).replaceAll("x+$", ""));
        }
        return out;
    }

    static List<Long> offsets(Records records) {
        List<Long> out = new ArrayList<>();
        for (Record r : records.records()) {
            out.add(r.offset());
        }
        return out;
    }

    /** Starts managers on real temp dirs and keeps the executors for cleanup. */
    static final class Harness implements AutoCloseable {
        final Path root;
        final FakeClock clock = new FakeClock(1_700_000_000_000L);
        final CountingFileIo fileIo = new CountingFileIo();
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        final ExecutorService recovery = Executors.newFixedThreadPool(4);
        LogConfig defaults = LogConfig.defaults();
        int dirs = 1;

        Harness(Path root) {
            this.root = root;
        }

        List<Path> logDirs() {
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < dirs; i++) {
                out.add(root.resolve("data" + i));
            }
            return out;
        }

        LogManager start() {
            LogManager m = new LogManager(new LogManagerConfig(logDirs(), 60_000, 60_000, 2), defaults, clock,
                    scheduler, recovery, fileIo);
            m.startup(t -> defaults).join();
            return m;
        }

        @Override
        public void close() throws InterruptedException {
            scheduler.shutdownNow();
            recovery.shutdownNow();
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            recovery.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
