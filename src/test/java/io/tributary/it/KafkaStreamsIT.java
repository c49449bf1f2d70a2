package io.tributary.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static io.tributary.it.EcosystemSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka Streams against a real Liberty: a topology that re-keys page views by page (a repartition
 * topic) and counts them in a state store (a compacted changelog topic), both internal topics
 * created by Streams itself through CreateTopics; at_least_once processing (transactions are not
 * implemented). A restarted application resumes from its committed offsets and restores its store
 * from the changelog; two instances share the tasks through the StreamsPartitionAssignor.
 */
class KafkaStreamsIT {

    private static final int PARTITIONS = 3;
    private static final int PAGES = 7;
    private static LibertyServer server;
    private static Admin admin;
    private final List<KafkaStreams> running = new ArrayList<>();

    @TempDir
    Path stateDirs;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("group.initial.rebalance.delay.ms", "200",
                "group.min.session.timeout.ms", "1000")).start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (server != null) {
            EcosystemSupport.printBrokerWarnings(server);
            server.close();
        }
    }

    @AfterEach
    void closeStreams() {
        running.forEach(s -> s.close(Duration.ofSeconds(30)));
        running.clear();
    }

    /** Page views by page: input keyed by user, re-keyed by page (repartition), counted in an in-memory store. */
    private KafkaStreams startApp(String appId, String input, String output, String instance) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .groupBy((user, page) -> page, Grouped.with("by-page", Serdes.String(), Serdes.String()))
                .count(Materialized.<String, Long>as(Stores.inMemoryKeyValueStore("views"))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
                .toStream()
                .to(output, Produced.with(Serdes.String(), Serdes.Long()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.CLIENT_ID_CONFIG, appId + "-" + instance);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDirs.resolve(instance).toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6_000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500);
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        running.add(streams);
        streams.start();
        return streams;
    }

    /** Produces {@code count} views, user {@code first + i} viewing page {@code (first + i) % PAGES}, and returns them per page. */
    private static Map<String, Long> produceViews(String topic, int first, int count) throws Exception {
        Map<String, Long> perPage = new TreeMap<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(), ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new StringSerializer())) {
            for (int i = first; i < first + count; i++) {
                String page = "page-" + (i % PAGES);
                producer.send(new ProducerRecord<>(topic, "user-" + i, page));
                perPage.merge(page, 1L, Long::sum);
            }
            producer.flush();
        }
        return perPage;
    }

    private static List<ConsumerRecord<String, Long>> output(String topic) {
        return EcosystemSupport.readAll(server.kafkaBootstrap(), topic, new StringDeserializer(), new LongDeserializer());
    }

    /** The latest count of each page in the output topic. */
    private static Map<String, Long> latest(List<ConsumerRecord<String, Long>> records) {
        Map<String, Long> out = new TreeMap<>();
        records.forEach(r -> out.put(r.key(), r.value()));
        return out;
    }

    private static void awaitCounts(String output, Map<String, Long> expected) {
        await("the output topic " + output + " to hold " + expected, Duration.ofSeconds(90),
                () -> latest(output(output)).equals(expected));
    }

    private static void awaitRunning(KafkaStreams... apps) {
        await("the Streams application to be RUNNING", Duration.ofSeconds(60), () -> {
            for (KafkaStreams s : apps) {
                if (s.state() != KafkaStreams.State.RUNNING) {
                    return false;
                }
            }
            return true;
        });
    }

    private static Map<String, Long> sum(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> out = new TreeMap<>(a);
        b.forEach((k, v) -> out.merge(k, v, Long::sum));
        return out;
    }

    @Test
    void countsAreExactAndSurviveARestartOfTheApplication() throws Exception {
        String appId = "page-counts";
        String input = "page-views";
        String output = "views-per-page";
        admin.createTopics(List.of(new NewTopic(input, PARTITIONS, (short) 1), new NewTopic(output, PARTITIONS, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);

        Map<String, Long> firstRound = produceViews(input, 0, 350);
        KafkaStreams app = startApp(appId, input, output, "first");
        awaitRunning(app);
        awaitCounts(output, firstRound);

        // The internal topics, created by Streams with the configs it asked for.
        String repartition = appId + "-by-page-repartition";
        String changelog = appId + "-views-changelog";
        Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        assertTrue(topics.containsAll(Set.of(repartition, changelog)), "internal topics: " + topics);
        Map<String, Integer> partitions = new HashMap<>();
        admin.describeTopics(List.of(repartition, changelog)).allTopicNames().get(30, TimeUnit.SECONDS)
                .forEach((name, d) -> partitions.put(name, d.partitions().size()));
        assertEquals(Map.of(repartition, PARTITIONS, changelog, PARTITIONS), partitions);
        ConfigResource changelogResource = new ConfigResource(ConfigResource.Type.TOPIC, changelog);
        ConfigResource repartitionResource = new ConfigResource(ConfigResource.Type.TOPIC, repartition);
        Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(changelogResource, repartitionResource))
                .all().get(30, TimeUnit.SECONDS);
        assertEquals("compact", configs.get(changelogResource).get("cleanup.policy").value());
        assertEquals("delete", configs.get(repartitionResource).get("cleanup.policy").value());
        assertEquals("-1", configs.get(repartitionResource).get("retention.ms").value());

        // A clean stop commits; the restarted app restores its store from the changelog and goes on.
        app.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        running.remove(app);
        Map<String, Long> secondRound = produceViews(input, 350, 210);
        Map<String, Long> total = sum(firstRound, secondRound);
        KafkaStreams restarted = startApp(appId, input, output, "second");
        awaitRunning(restarted);
        awaitCounts(output, total);

        // Counts only ever grow to their totals: nothing was counted twice.
        for (ConsumerRecord<String, Long> r : output(output)) {
            assertTrue(r.value() <= total.get(r.key()), r.key() + " counted " + r.value() + " of " + total.get(r.key()));
        }
        Map<String, Long> committed = new TreeMap<>();
        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((tp, o) -> committed.put(tp.toString(), o.offset()));
        assertFalse(committed.isEmpty(), "the application's group commits its offsets");
    }

    @Test
    void twoInstancesShareTheTasks() throws Exception {
        String appId = "shared-counts";
        String input = "shared-views";
        String output = "shared-per-page";
        admin.createTopics(List.of(new NewTopic(input, PARTITIONS, (short) 1), new NewTopic(output, PARTITIONS, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);
        Map<String, Long> expected = produceViews(input, 0, 300);

        KafkaStreams a = startApp(appId, input, output, "a");
        KafkaStreams b = startApp(appId, input, output, "b");
        await("both instances to own tasks", Duration.ofSeconds(90), () -> a.state() == KafkaStreams.State.RUNNING
                && b.state() == KafkaStreams.State.RUNNING && !activeTasks(a).isEmpty() && !activeTasks(b).isEmpty());
        Set<String> tasksOfA = activeTasks(a);
        Set<String> tasksOfB = activeTasks(b);
        assertTrue(tasksOfA.stream().noneMatch(tasksOfB::contains), "a " + tasksOfA + ", b " + tasksOfB);
        // Two sub-topologies (before and after the repartition), three partitions each.
        assertEquals(2 * PARTITIONS, tasksOfA.size() + tasksOfB.size(), "a " + tasksOfA + ", b " + tasksOfB);

        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(appId)).all().get(30, TimeUnit.SECONDS).get(appId);
        assertEquals(2, group.members().size(), group.toString());
        assertEquals("stream", group.partitionAssignor());

        Map<String, Long> more = produceViews(input, 300, 140);
        awaitCounts(output, sum(expected, more));
    }

    private static Set<String> activeTasks(KafkaStreams streams) {
        Set<String> out = new java.util.TreeSet<>();
        for (ThreadMetadata t : streams.metadataForLocalThreads()) {
            t.activeTasks().forEach(task -> out.add(task.taskId().toString()));
        }
        return out;
    }
}
