package io.tributary.protocol;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.metadata.TopicMetadata;
import io.tributary.testing.SingleBrokerStack;
import io.tributary.testing.SingleBrokerStack.ReplicaUpdates;
import io.tributary.testing.SingleBrokerStack.TopicCreation;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Topic names by id on a real metadata store (embedded ZooKeeper): remembered, never stale. */
class TopicIdsTest {

    @TempDir
    static Path tmp;
    static SingleBrokerStack stack;
    static ClusterMetadataStore metadata;

    @BeforeAll
    static void start() throws Exception {
        stack = SingleBrokerStack.start(tmp, "localhost", TopicCreation.EXPLICIT_ONLY, ReplicaUpdates.FOLLOW_METADATA);
        metadata = stack.metadata();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static Uuid create(String name) throws InterruptedException {
        stack.topics().create(name, Optional.of(1), Optional.empty(), Map.of());
        eventually(() -> metadata.topic(name).isPresent(), name + " in the metadata cache");
        return metadata.topic(name).map(TopicMetadata::topicId).orElseThrow();
    }

    @Test
    void aTopicIsFoundByItsIdAgainAndAnUnknownIdIsNot() throws Exception {
        TopicIds ids = new TopicIds();
        Uuid id = create("by-id");
        assertEquals(Optional.of("by-id"), ids.name(metadata, id));
        assertEquals(Optional.of("by-id"), ids.name(metadata, id));
        assertEquals(Optional.empty(), ids.name(metadata, Uuid.randomUuid()));
    }

    @Test
    void aRememberedIdOfADeletedAndRecreatedTopicNoLongerResolves() throws Exception {
        TopicIds ids = new TopicIds();
        Uuid first = create("recreated");
        assertEquals(Optional.of("recreated"), ids.name(metadata, first));

        stack.topics().delete("recreated");
        eventually(() -> metadata.topic("recreated").isEmpty(), "the deletion in the metadata cache");
        assertEquals(Optional.empty(), ids.name(metadata, first), "the deleted topic's id");

        Uuid second = create("recreated");
        assertNotEquals(first, second);
        assertEquals(Optional.empty(), ids.name(metadata, first), "the old id once the name is taken again");
        assertEquals(Optional.of("recreated"), ids.name(metadata, second));
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }
}
