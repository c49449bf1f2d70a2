package io.tributary.group;

import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.storage.LogManager;
import io.tributary.testing.SingleBrokerStack;
import io.tributary.testing.SingleBrokerStack.ReplicaUpdates;
import io.tributary.testing.SingleBrokerStack.TopicCreation;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Committed offsets in a real {@code __consumer_offsets} log (embedded ZooKeeper, log manager, temp files). */
class OffsetsTopicTest {

    @TempDir
    static Path tmp;
    static SingleBrokerStack stack;
    static LogManager logs;
    static TopicService topics;
    static ReplicaManager replicas;

    @BeforeAll
    static void start() throws Exception {
        stack = SingleBrokerStack.start(tmp, "localhost", TopicCreation.AUTO_CREATE, ReplicaUpdates.LOAD_ONCE);
        logs = stack.logs();
        topics = stack.topics();
        replicas = stack.replicas();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static Map<String, Map<TopicPartition, CommittedOffset>> loaded(OffsetStore store) {
        Map<String, Map<TopicPartition, CommittedOffset>> out = new HashMap<>();
        store.load((group, tp, offset) -> {
            if (offset == null) {
                out.getOrDefault(group, new HashMap<>()).remove(tp);
            } else {
                out.computeIfAbsent(group, g -> new HashMap<>()).put(tp, offset);
            }
        });
        out.values().removeIf(Map::isEmpty);
        return out;
    }

    @Test
    void theLatestCommitPerPartitionIsLoadedBackBeforeAndAfterCompaction() throws Exception {
        // Small segments so compaction has closed segments to clean.
        OffsetsTopic store = new OffsetsTopic(topics, replicas, 2, 1_024, Clock.systemUTC());
        TopicPartition a0 = new TopicPartition("a", 0);
        TopicPartition a1 = new TopicPartition("a", 1);
        for (int i = 0; i < 100; i++) {
            store.append("kept", Map.of(a0, new CommittedOffset(i, -1, "", 0), a1, new CommittedOffset(1000 + i, 2, "m", 0)));
            store.append("deleted", Map.of(a0, new CommittedOffset(i, -1, "", 0)));
        }
        store.delete("deleted", List.of(a0));
        assertEquals("compact", topics.describeOrThrow(OffsetsTopic.NAME).configs().get("cleanup.policy"));
        assertEquals(2, topics.describeOrThrow(OffsetsTopic.NAME).partitionCount());

        Map<String, Map<TopicPartition, CommittedOffset>> expected = Map.of("kept",
                Map.of(a0, new CommittedOffset(99, -1, "", 0), a1, new CommittedOffset(1099, 2, "m", 0)));
        assertEquals(expected, loaded(new OffsetsTopic(topics, replicas, 2, 1_024, Clock.systemUTC())));

        int partition = OffsetsTopic.partitionFor("kept", 2);
        var log = replicas.partitionOrThrow(new TopicPartition(OffsetsTopic.NAME, partition)).log();
        long sizeBefore = log.sizeInBytes();
        logs.compactNow(log.topicPartition());
        logs.compactNow(new TopicPartition(OffsetsTopic.NAME, OffsetsTopic.partitionFor("deleted", 2)));
        assertTrue(log.sizeInBytes() < sizeBefore, "compaction dropped superseded commits");
        assertEquals(expected, loaded(new OffsetsTopic(topics, replicas, 2, 1_024, Clock.systemUTC())));
    }

    @Test
    void aGroupsPartitionIsKafkasAbsHashModuloThePartitionCount() {
        assertEquals(org.apache.kafka.common.utils.Utils.abs("my-group".hashCode()) % 50, OffsetsTopic.partitionFor("my-group", 50));
        assertEquals(0, OffsetsTopic.partitionFor("", 50));
    }
}
