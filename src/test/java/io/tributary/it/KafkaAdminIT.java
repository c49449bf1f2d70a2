package io.tributary.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java Admin client against a real Liberty: topics, partitions, configs, cluster; and a group consumer. */
class KafkaAdminIT {

    private static LibertyServer server;
    private static Admin admin;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("num.partitions", "2")).start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (server != null) {
            server.close();
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static Throwable cause(org.apache.kafka.common.KafkaFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void topicsAreCreatedDescribedListedAndDeleted() throws Exception {
        CreateTopicsResult created = admin.createTopics(List.of(
                new NewTopic("orders", 3, (short) 1).configs(Map.of("retention.ms", "3600000")),
                new NewTopic("defaults", java.util.Optional.empty(), java.util.Optional.empty())));
        get(created.all());
        assertEquals(3, get(created.numPartitions("orders")));
        assertEquals(2, get(created.numPartitions("defaults")), "num.partitions applies");
        assertEquals("3600000", get(created.config("orders")).get("retention.ms").value());

        TopicDescription orders = get(admin.describeTopics(List.of("orders")).allTopicNames()).get("orders");
        assertEquals(3, orders.partitions().size());
        assertEquals(0, orders.partitions().get(2).leader().id());
        assertEquals(get(created.topicId("orders")), orders.topicId());
        assertTrue(get(admin.listTopics().names()).containsAll(Set.of("orders", "defaults")));

        assertInstanceOf(TopicExistsException.class,
                cause(admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all()));

        get(admin.deleteTopics(List.of("orders")).all());
        assertFalse(get(admin.listTopics().names()).contains("orders"));
        assertInstanceOf(UnknownTopicOrPartitionException.class,
                cause(admin.describeTopics(List.of("orders")).allTopicNames()));
        assertInstanceOf(UnknownTopicOrPartitionException.class,
                cause(admin.deleteTopics(List.of("orders")).all()));
    }

    @Test
    void partitionsAreAddedAndUsable() throws Exception {
        get(admin.createTopics(List.of(new NewTopic("growing", 1, (short) 1))).all());
        get(admin.createPartitions(Map.of("growing", NewPartitions.increaseTo(4))).all());
        assertEquals(4, get(admin.describeTopics(List.of("growing")).allTopicNames()).get("growing").partitions().size());
        assertThrows(ExecutionException.class,
                () -> admin.createPartitions(Map.of("growing", NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            assertEquals(3, producer.send(new ProducerRecord<>("growing", 3, "k", "v")).get(30, TimeUnit.SECONDS).partition());
        }
    }

    @Test
    void topicConfigsAreDescribedAndIncrementallyAltered() throws Exception {
        get(admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1)
                .configs(Map.of("retention.ms", "60000", "cleanup.policy", "delete")))).all());
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "configured");
        Config before = get(admin.describeConfigs(List.of(topic)).all()).get(topic);
        assertEquals("60000", before.get("retention.ms").value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, before.get("retention.ms").source());
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, before.get("segment.bytes").source());

        get(admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND)))).all());
        Config after = get(admin.describeConfigs(List.of(topic)).all()).get(topic);
        assertEquals("2000000", after.get("max.message.bytes").value());
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, after.get("retention.ms").source());
        assertEquals("delete,compact", after.get("cleanup.policy").value());

        Throwable bad = cause(admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("segment.bytes", "not-a-number"), AlterConfigOp.OpType.SET)))).all());
        assertInstanceOf(InvalidConfigurationException.class, bad);
        assertEquals("2000000", get(admin.describeConfigs(List.of(topic)).all()).get(topic)
                .get("max.message.bytes").value(), "a rejected change leaves the topic as it was");
    }

    @Test
    void brokerConfigsAreDescribedAndReadOnly() throws Exception {
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "0");
        Config config = get(admin.describeConfigs(List.of(broker)).all()).get(broker);
        assertEquals("2", config.get("num.partitions").value());
        assertEquals(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG, config.get("num.partitions").source());
        assertEquals("PLAINTEXT://127.0.0.1:" + server.kafkaPort(), config.get("listeners").value());
        assertEquals("104857600", config.get("socket.request.max.bytes").value());
        assertTrue(config.get("num.partitions").isReadOnly());

        Throwable refused = cause(admin.incrementalAlterConfigs(Map.of(broker, List.of(
                new AlterConfigOp(new ConfigEntry("num.partitions", "5"), AlterConfigOp.OpType.SET)))).all());
        assertInstanceOf(InvalidConfigurationException.class, refused);
    }

    @Test
    void theClusterIsDescribed() throws Exception {
        DescribeClusterResult cluster = admin.describeCluster();
        Collection<Node> nodes = get(cluster.nodes());
        assertEquals(1, nodes.size());
        Node node = nodes.iterator().next();
        assertEquals(0, node.id());
        assertEquals(server.kafkaPort(), node.port());
        assertEquals(0, get(cluster.controller()).id());
        String restCluster = new Http(server).get("/v3/clusters").json().getJsonArray("data").getJsonObject(0)
                .getString("cluster_id");
        assertEquals(restCluster, get(cluster.clusterId()));
    }

    @Test
    void aConsumerInAGroupGetsItsPartitionsAndCommitsThem() throws Exception {
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("group-topic", 2, (short) 1))).all()
                .get(30, TimeUnit.SECONDS);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "a-group");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of("group-topic"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.assignment().size() < 2 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200));
            }
            assertEquals(2, consumer.assignment().size(), "the only member gets every partition");
            // Nothing was produced: positions come from auto.offset.reset (no commit yet), and are committed.
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> positions =
                    new java.util.HashMap<>();
            consumer.assignment().forEach(tp -> positions.put(tp,
                    new org.apache.kafka.clients.consumer.OffsetAndMetadata(consumer.position(tp))));
            consumer.commitSync(positions);
        }
        var committed = admin.listConsumerGroupOffsets("a-group").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        assertEquals(2, committed.size());
        committed.values().forEach(o -> assertEquals(0, o.offset()));
    }

    @Test
    void deleteRecordsMovesTheLowWatermark() throws Exception {
        get(admin.createTopics(List.of(new NewTopic("trimmed-kafka", 1, (short) 1))).all());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>("trimmed-kafka", 0, "k" + i, "v" + i));
            }
            producer.flush();
        }
        org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition("trimmed-kafka", 0);
        var deleted = admin.deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(20)));
        assertEquals(20, get(deleted.lowWatermarks().get(tp)).lowWatermark());
        assertEquals(20, get(admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.earliest()))
                .partitionResult(tp)).offset());
        Throwable beyond = cause(admin.deleteRecords(Map.of(tp,
                org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(51))).lowWatermarks().get(tp));
        assertInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class, beyond);
        assertEquals(404, new Http(server).get("/topics/trimmed-kafka/partitions/0/records?offset=19").status());
    }
}
