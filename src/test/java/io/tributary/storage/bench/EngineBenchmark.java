package io.tributary.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import io.tributary.storage.PartitionLog;

/**
 * Measures the storage engine against the disk it runs on: raw sequential FileChannel writes + fsync,
 * then appends of v2 batches through {@link PartitionLog} (with and without the final fsync) and a full
 * read-back. Usage: {@code EngineBenchmark [--record-size B] [--total-mb M] [--records-per-batch N]
 * [--disk-mb M] [--dir PATH]}.
 */
public final class EngineBenchmark {

    private static final double MB = 1024.0 * 1024.0;

    private EngineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int recordSize = 100;
        long totalMb = 512;
        int perBatch = 500;
        long diskMb = 1024;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--record-size" -> recordSize = Integer.parseInt(args[++i]);
                case "--total-mb" -> totalMb = Long.parseLong(args[++i]);
                case "--records-per-batch" -> perBatch = Integer.parseInt(args[++i]);
                case "--disk-mb" -> diskMb = Long.parseLong(args[++i]);
                case "--dir" -> parent = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --record-size B --total-mb M --records-per-batch N --disk-mb M --dir PATH");
            }
        }
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "tributary-bench-");
        System.out.printf("Engine benchmark in %s: %d-byte records, %d records/batch, %d MB through the log%n",
                dir, recordSize, perBatch, totalMb);
        try {
            double disk = rawDisk(dir.resolve("raw.bin"), diskMb);
            engine(dir.resolve("logs"), recordSize, perBatch, totalMb, disk);
        } finally {
            deleteTree(dir);
        }
    }

    private static double rawDisk(Path file, long mb) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        for (int i = 0; i < buf.capacity(); i++) {
            buf.put(i, (byte) i);
        }
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long i = 0; i < mb; i++) {
                buf.clear();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                progress("raw disk write", i + 1, mb);
            }
            ch.force(true);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = mb / secs;
        System.out.printf("%nraw disk: %d MB written + fsync in %.2f s = %.1f MB/s%n", mb, secs, rate);
        Files.delete(file);
        return rate;
    }

    private static void engine(Path logDir, int recordSize, int perBatch, long totalMb, double disk) throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        ExecutorService recovery = Executors.newFixedThreadPool(1);
        try (LogManager manager = new LogManager(new LogManagerConfig(List.of(logDir), 60_000, 60_000, 1),
                LogConfig.defaults(), Clock.systemUTC(), scheduler, recovery)) {
            manager.startup(t -> null).join();
            PartitionLog log = manager.getOrCreateLog(new TopicPartition("bench", 0), LogConfig.defaults());

            ByteBuffer template = buildBatch(recordSize, perBatch);
            int batchBytes = template.remaining();
            long batches = Math.max(1, totalMb * (1L << 20) / batchBytes);
            long records = batches * perBatch;
            long bytes = batches * batchBytes;

            long start = System.nanoTime();
            for (long i = 0; i < batches; i++) {
                // The same batch bytes are re-offset in place by every append; the CRC does not cover offsets.
                log.appendAsLeader(MemoryRecords.readableRecords(template.duplicate()), 0);
                if (i % 200 == 0 || i == batches - 1) {
                    progress("append", i + 1, batches);
                }
            }
            double appendSecs = (System.nanoTime() - start) / 1e9;
            log.flush();
            double flushedSecs = (System.nanoTime() - start) / 1e9;
            System.out.println();
            report("append (page cache)", bytes, records, appendSecs, disk);
            report("append + final fsync", bytes, records, flushedSecs, disk);
            System.out.printf("  %d segments, %d batches of %d bytes, log end offset %d%n", log.numberOfSegments(),
                    batches, batchBytes, log.logEndOffset());

            ByteBuffer readBuf = ByteBuffer.allocate(2 << 20);
            long readRecords = 0;
            long readBytes = 0;
            long next = 0;
            start = System.nanoTime();
            while (next < log.logEndOffset()) {
                Records r = log.read(next, 1 << 20, Long.MAX_VALUE, true).records();
                readBuf.clear();
                ((FileRecords) r).readInto(readBuf, 0);
                readBytes += r.sizeInBytes();
                for (MutableRecordBatch b : MemoryRecords.readableRecords(readBuf).batches()) {
                    readRecords += b.countOrNull();
                    next = b.nextOffset();
                }
                progress("read", next, log.logEndOffset());
            }
            double readSecs = (System.nanoTime() - start) / 1e9;
            System.out.println();
            if (readRecords != records) {
                throw new IllegalStateException("read " + readRecords + " records, wrote " + records);
            }
            report("read (page cache, copied to heap)", readBytes, readRecords, readSecs, disk);
        } finally {
            scheduler.shutdownNow();
            recovery.shutdownNow();
        }
    }

    private static ByteBuffer buildBatch(int recordSize, int perBatch) {
        ByteBuffer buf = ByteBuffer.allocate(perBatch * (recordSize + 64) + 1024);
        MemoryRecordsBuilder b = MemoryRecords.builder(buf, RecordBatch.CURRENT_MAGIC_VALUE, Compression.NONE,
                TimestampType.CREATE_TIME, 0L);
        byte[] value = new byte[recordSize];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) ('a' + i % 26);
        }
        long now = System.currentTimeMillis();
        for (int i = 0; i < perBatch; i++) {
            b.append(now, null, value);
        }
        return b.build().buffer();
    }

    private static void report(String what, long bytes, long records, double secs, double disk) {
        double mbs = bytes / MB / secs;
        System.out.printf("%-34s %8.1f MB/s %12.0f records/s  (%.2f s, %.2fx raw disk)%n", what + ":", mbs,
                records / secs, secs, mbs / disk);
    }

    private static void progress(String what, long done, long total) {
        if (done == total || done % Math.max(1, total / 20) == 0) {
            System.out.printf("\r  %s: %3d%%", what, done * 100 / total);
            System.out.flush();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
