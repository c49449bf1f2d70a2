package io.tributary.storage;

import static io.tributary.storage.StorageTestSupport.TP;
import static io.tributary.storage.StorageTestSupport.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogManagerTest {

    @TempDir
    Path tmp;
    StorageTestSupport.Harness h;

    @BeforeEach
    void setUp() {
        h = new StorageTestSupport.Harness(tmp);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        h.close();
    }

    @Test
    void startupAndCloseAreIdempotent() {
        LogManager m = new LogManager(new LogManagerConfig(h.logDirs(), 1000, 1000, 1), h.defaults, h.clock,
                h.scheduler, h.recovery, h.fileIo);
        assertFalse(m.isStarted());
        var first = m.startup(t -> null);
        assertSame(first, m.startup(t -> null));
        first.join();
        assertTrue(m.isStarted());
        m.close();
        m.close();
        assertFalse(m.isStarted());
    }

    @Test
    void newLogsGoToTheLogDirWithFewestPartitionsInKafkasLayout() {
        h.dirs = 2;
        LogManager m = h.start();
        for (int p = 0; p < 6; p++) {
            m.getOrCreateLog(new TopicPartition("t", p), h.defaults).appendAsLeader(batch(0, 1, 0), 0);
        }
        for (Path d : h.logDirs()) {
            assertEquals(3, m.logs().stream().filter(l -> l.logDir().equals(d)).count());
        }
        PartitionLog l0 = m.log(new TopicPartition("t", 0)).orElseThrow();
        assertEquals("t-0", l0.dir().getFileName().toString());
        assertTrue(Files.exists(l0.dir().resolve("00000000000000000000.log")));
        assertTrue(Files.exists(l0.dir().resolve("00000000000000000000.index")));
        assertTrue(Files.exists(l0.dir().resolve("00000000000000000000.timeindex")));
        assertSame(l0, m.getOrCreateLog(new TopicPartition("t", 0), h.defaults));
        m.close();
        LogManager again = h.start();
        assertEquals(6, again.logs().size());
        assertEquals(6, again.recoveryProgress().partitionsTotal());
        again.close();
    }

    @Test
    void deleteLogRemovesTheDirectoryAndItStaysGoneAfterRestart() throws Exception {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        log.appendAsLeader(batch(0, 5, 0), 0);
        Path dir = log.dir();
        m.deleteLog(TP);
        assertFalse(Files.exists(dir));
        assertTrue(m.log(TP).isEmpty());
        try (Stream<Path> s = Files.list(h.logDirs().get(0))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith("-delete")));
        }
        m.close();
        LogManager again = h.start();
        assertTrue(again.log(TP).isEmpty());
        again.close();
    }

    @Test
    void leftoverOfAnInterruptedDeleteIsRemovedAtStartupAndNotLoaded() throws Exception {
        LogManager m = h.start();
        m.getOrCreateLog(TP, h.defaults).appendAsLeader(batch(0, 5, 0), 0);
        Path dir = m.log(TP).orElseThrow().dir();
        m.close();
        Path renamed = dir.resolveSibling(dir.getFileName() + ".0123456789abcdef0123456789abcdef-delete");
        Files.move(dir, renamed);
        LogManager again = h.start();
        assertTrue(again.log(TP).isEmpty());
        assertFalse(Files.exists(renamed));
        again.close();
    }

    @Test
    void fsyncFailureTakesTheLogDirOfflineAndNotifiesListeners() {
        LogManager m = h.start();
        List<String> offline = new CopyOnWriteArrayList<>();
        m.failureChannel().addListener((dir, reason) -> offline.add(dir + ": " + reason));
        PartitionLog log = m.getOrCreateLog(TP, StorageTestSupport.config(Map.of("flush.messages", "1")));
        log.appendAsLeader(batch(0, 1, 0), 0);
        h.fileIo.failFsync.set(true);
        assertThrows(KafkaStorageException.class, () -> log.appendAsLeader(batch(1, 1, 0), 0));
        Path logDir = h.logDirs().get(0).toAbsolutePath().normalize();
        assertEquals(java.util.Set.of(logDir), m.failureChannel().offlineDirs());
        assertEquals(1, offline.size());
        assertTrue(m.failureChannel().reason(logDir).orElseThrow().contains("injected fsync failure"));
        h.fileIo.failFsync.set(false);
        assertThrows(KafkaStorageException.class, () -> log.appendAsLeader(batch(2, 1, 0), 0));
        assertThrows(KafkaStorageException.class, () -> log.read(0, 100, Long.MAX_VALUE, true));
        assertThrows(KafkaStorageException.class, () -> m.getOrCreateLog(new TopicPartition("x", 0), h.defaults));
        assertEquals(1, offline.size(), "listeners hear of a dir once");
        m.close();
        assertFalse(Files.exists(logDir.resolve(LogManager.CLEAN_SHUTDOWN_FILE)), "no clean marker for a failed dir");
    }

    @Test
    void channelClosedUnderneathIsReportedAsALogDirFailure() throws Exception {
        LogManager m = h.start();
        List<Path> offline = new CopyOnWriteArrayList<>();
        m.failureChannel().addListener((dir, reason) -> offline.add(dir));
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        log.appendAsLeader(batch(0, 1, 0), 0);
        log.activeSegmentRecords().channel().close();
        assertThrows(KafkaStorageException.class, () -> log.appendAsLeader(batch(1, 1, 0), 0));
        assertEquals(List.of(log.logDir()), offline);
        m.close();
    }

    @Test
    void unwritableLogDirIsOfflineAtStartup() throws Exception {
        Path file = tmp.resolve("not-a-dir");
        Files.writeString(file, "x");
        LogManager m = new LogManager(new LogManagerConfig(List.of(file, tmp.resolve("ok")), 1000, 1000, 1),
                h.defaults, h.clock, h.scheduler, h.recovery, h.fileIo);
        m.startup(t -> null).join();
        assertEquals(java.util.Set.of(file.toAbsolutePath().normalize()), m.failureChannel().offlineDirs());
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        assertEquals(tmp.resolve("ok").toAbsolutePath().normalize(), log.logDir());
        m.close();
    }

    @Test
    void updateConfigReachesEveryPartitionOfTheTopic() {
        LogManager m = h.start();
        m.getOrCreateLog(new TopicPartition("t", 0), h.defaults);
        m.getOrCreateLog(new TopicPartition("t", 1), h.defaults);
        m.getOrCreateLog(new TopicPartition("u", 0), h.defaults);
        LogConfig small = h.defaults.withOverrides(Map.of("segment.bytes", "1000"));
        m.updateConfig("t", small);
        assertEquals(1000, m.log(new TopicPartition("t", 1)).orElseThrow().config().segmentBytes());
        assertEquals(h.defaults, m.log(new TopicPartition("u", 0)).orElseThrow().config());
        m.close();
    }

    @Test
    void logConfigParsesKafkaTopicConfigsAndRejectsBadOnes() {
        LogConfig d = LogConfig.defaults();
        assertEquals(1 << 30, d.segmentBytes());
        assertEquals(1048588, d.maxMessageBytes());
        LogConfig c = d.withOverrides(Map.of("segment.bytes", "1024", "message.timestamp.type", "LogAppendTime",
                "min.insync.replicas", "2", "cleanup.policy", "compact,delete"));
        assertEquals(1024, c.segmentBytes());
        assertEquals("LogAppendTime", c.toTopicConfigs().get("message.timestamp.type"));
        assertEquals("2", c.toTopicConfigs().get("min.insync.replicas"));
        assertEquals(LogConfig.topicConfigNames(), c.toTopicConfigs().keySet());
        InvalidConfigurationException bad = assertThrows(InvalidConfigurationException.class,
                () -> d.withOverrides(Map.of("segment.bytes", "lots")));
        assertTrue(bad.getMessage().contains("segment.bytes") && bad.getMessage().contains("lots"));
        InvalidConfigurationException unknown = assertThrows(InvalidConfigurationException.class,
                () -> d.withOverrides(Map.of("no.such.config", "1")));
        assertTrue(unknown.getMessage().contains("no.such.config"));
        assertThrows(InvalidConfigurationException.class, () -> d.withOverrides(Map.of("compression.type", "brotli")));
    }
}
