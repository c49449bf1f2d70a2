import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Consume-rate measurement for bin/bench-kafka without a consumer group: Kafka's ConsumerPerformance
 * always subscribe()s, which needs a group coordinator, and Tributary has none yet. This consumer
 * assign()s every partition of the topic, seeks to the beginning and polls until it has N records,
 * with the same fetch settings ConsumerPerformance uses by default (1 MiB per partition, 2 MiB socket
 * receive buffer). MB counts key and value bytes, as ConsumerPerformance does (1 MB = 1024*1024
 * bytes). The clock starts just before the first poll, so metadata and connection set-up are inside
 * it, as in ConsumerPerformance.
 *
 * <p>Run with the kafka-tools classpath through the source launcher:
 * {@code java -cp CP bench/kafka/AssignConsumer.java BOOTSTRAP TOPIC RECORDS [TIMEOUT_MS]}.
 * Prints progress every 5 s and a final line starting with {@code CONSUMED}; exits 1 if fewer than
 * RECORDS arrive before TIMEOUT_MS (default 10000) passes without any record.
 */
public final class AssignConsumer {

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("Usage: AssignConsumer BOOTSTRAP TOPIC RECORDS [TIMEOUT_MS]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        long wanted = Long.parseLong(args[2]);
        long timeoutMs = args.length > 3 ? Long.parseLong(args[3]) : 10_000;

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-kafka-assign");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(1024 * 1024));
        props.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, Integer.toString(2 * 1024 * 1024));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

        long records = 0;
        long bytes = 0;
        long start;
        long end;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            start = System.nanoTime();
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            if (partitions.isEmpty()) {
                System.err.println("Topic " + topic + " has no partitions");
                System.exit(1);
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            System.out.printf("Assigned %d partitions of %s; consuming %d records%n", partitions.size(), topic, wanted);
            long lastRecordAt = System.nanoTime();
            long lastReportAt = start;
            long lastReportRecords = 0;
            long lastReportBytes = 0;
            end = start;
            while (records < wanted) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                if (!batch.isEmpty()) {
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        records++;
                        bytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
                    }
                    lastRecordAt = now;
                    end = now;
                } else if (now - lastRecordAt > timeoutMs * 1_000_000L) {
                    System.err.printf("No record for %d ms; stopping with %d of %d records%n", timeoutMs, records, wanted);
                    break;
                }
                if (now - lastReportAt >= 5_000_000_000L) {
                    double secs = (now - lastReportAt) / 1e9;
                    System.out.printf(Locale.ROOT, "%d records consumed, %.1f records/sec (%.2f MB/sec) in the last %.1f s%n",
                            records, (records - lastReportRecords) / secs, (bytes - lastReportBytes) / secs / (1024 * 1024), secs);
                    lastReportAt = now;
                    lastReportRecords = records;
                    lastReportBytes = bytes;
                }
            }
        }
        double secs = Math.max(1, end - start) / 1e9;
        System.out.printf(Locale.ROOT, "CONSUMED %d records, %.1f records/sec (%.2f MB/sec), %.2f MB in %.2f s%n",
                records, records / secs, bytes / secs / (1024 * 1024), bytes / (1024.0 * 1024), secs);
        System.exit(records >= wanted ? 0 : 1);
    }
}
