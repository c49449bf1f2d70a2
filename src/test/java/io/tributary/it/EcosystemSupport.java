package io.tributary.it;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Helpers for the ecosystem tests (Streams, Connect, MirrorMaker 2): a whole topic read with
 * {@code assign}, waiting for a condition, and the broker's warnings copied to the test output.
 */
final class EcosystemSupport {

    private EcosystemSupport() {
    }

    /**
     * Every record of {@code topic} up to the end offsets seen when the read starts, partition by
     * partition in offset order, read without a consumer group.
     */
    static <K, V> List<ConsumerRecord<K, V>> readAll(String bootstrap, String topic,
            Deserializer<K> keys, Deserializer<V> values) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(config, keys, values)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            List<ConsumerRecord<K, V>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            out.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                    : Long.compare(a.offset(), b.offset()));
            return out;
        }
    }

    /**
     * Prints the warnings and errors of the broker's messages.log (Liberty's {@code W} and {@code E}
     * levels) to the test output, which keeps them after the server's temp dir is deleted.
     */
    static void printBrokerWarnings(LibertyServer server) {
        System.out.println("--- broker " + server.kafkaBootstrap() + ": warnings and errors in messages.log ---");
        try (var lines = java.nio.file.Files.lines(server.messagesLog())) {
            lines.filter(l -> l.matches("^\\[[^]]*\\] \\S+ \\S+ +[WE] .*"))
                    // Readiness DOWN while the broker starts is expected.
                    .filter(l -> !l.contains("CWMMH0052W")).forEach(System.out::println);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            System.out.println("(could not read " + server.messagesLog() + ": " + e + ")");
        }
    }

    /** Waits for {@code done}, failing with {@code what} after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
