package io.tributary.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumer groups with the Java client's classic protocol against a real Liberty: partitions
 * split among members, a crashed member's partitions moving on after its session timeout, commits
 * surviving a broker restart, Admin's view of groups, and the client-side assignors.
 *
 * <p>Several consumers are polled in turn from the test thread (a consumer is single-threaded;
 * their heartbeat threads keep the others alive meanwhile).
 */
class KafkaGroupsIT {

    private static final int SESSION_TIMEOUT_MS = 3_000;
    private static LibertyServer server;
    private static Admin admin;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("offsets.topic.num.partitions", "3",
                "group.initial.rebalance.delay.ms", "200", "group.min.session.timeout.ms", "1000")).start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A consumer with what it saw: records per partition and newly gained partitions. */
    static final class Member implements ConsumerRebalanceListener {
        final String name;
        final KafkaConsumer<String, String> consumer;
        final Map<TopicPartition, List<Long>> offsets = new HashMap<>();
        /** Partitions gained in the last rebalance: their first record shows where the group resumed. */
        final Set<TopicPartition> fresh = new HashSet<>();
        final Map<TopicPartition, Long> firstOffsetAfterGain = new HashMap<>();
        final Map<TopicPartition, Long> committed = new HashMap<>();

        Member(String name, String group, Map<String, Object> extra) {
            this.name = name;
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
            props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20);
            props.putAll(extra);
            consumer = new KafkaConsumer<>(props);
        }

        Member subscribe(String topic) {
            consumer.subscribe(List.of(topic), this);
            return this;
        }

        /** Polls once, records what came, and commits it. */
        void pollAndCommit() {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                offsets.computeIfAbsent(tp, k -> new ArrayList<>()).add(r.offset());
                if (fresh.remove(tp)) {
                    firstOffsetAfterGain.put(tp, r.offset());
                }
            }
            Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
            for (TopicPartition tp : consumer.assignment()) {
                positions.put(tp, new OffsetAndMetadata(consumer.position(tp)));
            }
            if (!positions.isEmpty()) {
                try {
                    consumer.commitSync(positions);
                    positions.forEach((tp, o) -> committed.put(tp, o.offset()));
                } catch (RebalanceInProgressException e) {
                    // As the client documents: finish the rebalance with poll() and commit then.
                }
            }
        }

        Set<TopicPartition> assignment() {
            return consumer.assignment();
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            fresh.addAll(partitions);
        }
    }

    private static void createTopic(String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }

    /** Produces {@code count} records spread over every partition, values "from".."from+count-1". */
    private static void produce(String topic, int partitions, int from, int count) throws Exception {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % partitions, null, Integer.toString(i)));
            }
            producer.flush();
        }
    }

    /** Polls every member in turn until the condition holds; fails after the timeout. */
    private static void pollUntil(List<Member> members, Duration timeout, String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            for (Member m : members) {
                m.pollAndCommit();
            }
        }
    }

    private static boolean disjointCover(List<Member> members, int partitions) {
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (Member m : members) {
            all.addAll(m.assignment());
            total += m.assignment().size();
        }
        return all.size() == partitions && total == partitions;
    }

    private static int consumedCount(List<Member> members, String topic) {
        Set<String> seen = new HashSet<>();
        for (Member m : members) {
            m.offsets.forEach((tp, list) -> list.forEach(o -> seen.add(tp + "@" + o)));
        }
        return (int) seen.stream().filter(s -> s.startsWith(topic + "-")).count();
    }

    private static void closeAll(List<Member> members) {
        for (Member m : members) {
            m.consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    @Test
    void threeMembersSplitSixPartitionsAndACrashedMembersPartitionsMoveOnAtItsCommits() throws Exception {
        createTopic("split", 6);
        Member a = new Member("a", "splitters", Map.of()).subscribe("split");
        Member b = new Member("b", "splitters", Map.of()).subscribe("split");
        Member c = new Member("c", "splitters", Map.of()).subscribe("split");
        List<Member> all = List.of(a, b, c);
        try {
            pollUntil(all, Duration.ofSeconds(60), "three members share the six partitions",
                    () -> disjointCover(all, 6) && all.stream().allMatch(m -> m.assignment().size() == 2));
            produce("split", 6, 0, 300);
            pollUntil(all, Duration.ofSeconds(60), "the first 300 records are consumed",
                    () -> consumedCount(all, "split") == 300);
            pollUntil(all, Duration.ofSeconds(10), "c has committed the end of its partitions", () ->
                    c.assignment().stream().allMatch(tp -> c.committed.getOrDefault(tp, -1L) == 50L));

            // c stops polling, and the second half arrives for it to leave unread.
            produce("split", 6, 300, 300);
            // c dies: no LeaveGroup, no more heartbeats. Its partitions wait for its session timeout.
            Set<TopicPartition> orphaned = Set.copyOf(c.assignment());
            Map<TopicPartition, Long> cCommitted = new HashMap<>(c.committed);
            c.consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                    .withTimeout(Duration.ZERO));
            long crashed = System.nanoTime();
            List<Member> survivors = List.of(a, b);
            pollUntil(survivors, Duration.ofSeconds(60), "the survivors take over c's partitions",
                    () -> disjointCover(survivors, 6));
            long movedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashed);
            assertTrue(movedAfterMs >= SESSION_TIMEOUT_MS - 500, "c left no earlier than its session timeout said "
                    + "(no LeaveGroup was sent): moved after " + movedAfterMs + " ms");
            assertTrue(movedAfterMs < SESSION_TIMEOUT_MS + 5_000,
                    "c's partitions moved " + movedAfterMs + " ms after it died, session timeout " + SESSION_TIMEOUT_MS);
            pollUntil(survivors, Duration.ofSeconds(60), "all 600 records are consumed",
                    () -> consumedCount(all, "split") == 600);

            for (TopicPartition tp : orphaned) {
                Long resumed = a.firstOffsetAfterGain.containsKey(tp) ? a.firstOffsetAfterGain.get(tp)
                        : b.firstOffsetAfterGain.get(tp);
                assertEquals(cCommitted.get(tp), resumed, tp + " resumed exactly at c's last commit");
            }
            for (int p = 0; p < 6; p++) {
                TopicPartition tp = new TopicPartition("split", p);
                Set<Long> seen = new TreeSet<>();
                all.forEach(m -> seen.addAll(m.offsets.getOrDefault(tp, List.of())));
                assertEquals(100, seen.size(), tp + ": every offset 0..99 consumed, none skipped: " + seen);
            }
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("splitters")
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            for (int p = 0; p < 6; p++) {
                assertEquals(100, committed.get(new TopicPartition("split", p)).offset());
            }
        } finally {
            closeAll(List.of(a, b));
        }
    }

    @Test
    void twoGroupsEachReadEveryRecord() throws Exception {
        createTopic("fanout", 3);
        produce("fanout", 3, 0, 90);
        Member one = new Member("one", "fan-1", Map.of()).subscribe("fanout");
        Member two = new Member("two", "fan-2", Map.of()).subscribe("fanout");
        try {
            pollUntil(List.of(one, two), Duration.ofSeconds(60), "both groups read all 90 records",
                    () -> consumedCount(List.of(one), "fanout") == 90 && consumedCount(List.of(two), "fanout") == 90);
            assertEquals(3, one.assignment().size());
            assertEquals(3, two.assignment().size());
        } finally {
            closeAll(List.of(one, two));
        }
    }

    @Test
    void aCommittedPositionSurvivesABrokerRestart() throws Exception {
        createTopic("restarted", 2);
        produce("restarted", 2, 0, 100);
        Map<TopicPartition, Long> committed;
        Member first = new Member("first", "restarters", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7)).subscribe("restarted");
        try {
            pollUntil(List.of(first), Duration.ofSeconds(60), "some but not all records are consumed",
                    () -> consumedCount(List.of(first), "restarted") >= 30);
            committed = new HashMap<>(first.committed);
        } finally {
            closeAll(List.of(first));
        }
        assertTrue(committed.values().stream().mapToLong(Long::longValue).sum() < 100, "stopped part way: " + committed);

        server.stop();
        server.start();

        Member second = new Member("second", "restarters", Map.of()).subscribe("restarted");
        try {
            pollUntil(List.of(second), Duration.ofSeconds(60), "the rest is consumed after the restart",
                    () -> second.assignment().size() == 2 && second.committed.values().stream()
                            .mapToLong(Long::longValue).sum() == 100);
            for (Map.Entry<TopicPartition, Long> e : committed.entrySet()) {
                if (e.getValue() < 50) {
                    assertEquals(e.getValue(), second.firstOffsetAfterGain.get(e.getKey()),
                            e.getKey() + " resumed exactly at the commit made before the restart");
                }
            }
        } finally {
            closeAll(List.of(second));
        }
    }

    @Test
    void adminDescribesAndListsGroupsAsTheirMembersSeeThem() throws Exception {
        createTopic("described", 4);
        Member x = new Member("client-x", "describers", Map.of()).subscribe("described");
        Member y = new Member("client-y", "describers", Map.of()).subscribe("described");
        List<Member> both = List.of(x, y);
        try {
            pollUntil(both, Duration.ofSeconds(60), "two members share four partitions",
                    () -> disjointCover(both, 4) && x.assignment().size() == 2);
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("describers")).describedGroups()
                    .get("describers").get(30, TimeUnit.SECONDS);
            assertEquals(GroupState.STABLE, d.groupState());
            assertEquals(2, d.members().size());
            Map<String, Set<TopicPartition>> byClient = new TreeMap<>();
            for (MemberDescription m : d.members()) {
                byClient.put(m.clientId(), m.assignment().topicPartitions());
            }
            assertEquals(Map.of("client-x", x.assignment(), "client-y", y.assignment()), byClient);
            assertEquals(0, d.coordinator().id(), "the only broker coordinates the group");

            Collection<GroupListing> listed = admin.listGroups().all().get(30, TimeUnit.SECONDS);
            assertTrue(listed.stream().anyMatch(g -> g.groupId().equals("describers")
                    && g.groupState().orElse(null) == GroupState.STABLE), "listed: " + listed);
        } finally {
            closeAll(both);
        }
        ConsumerGroupDescription empty = admin.describeConsumerGroups(List.of("describers")).describedGroups()
                .get("describers").get(30, TimeUnit.SECONDS);
        assertEquals(GroupState.EMPTY, empty.groupState(), "members that close leave the group");
        admin.deleteConsumerGroups(List.of("describers")).all().get(30, TimeUnit.SECONDS);
        assertTrue(admin.listGroups().all().get(30, TimeUnit.SECONDS).stream()
                .noneMatch(g -> g.groupId().equals("describers")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(classes = {RangeAssignor.class, RoundRobinAssignor.class, CooperativeStickyAssignor.class})
    void clientSideAssignorsSplitPartitionsAsMembersComeAndGo(Class<?> assignor) throws Exception {
        String topic = "assigned-" + assignor.getSimpleName();
        createTopic(topic, 4);
        Map<String, Object> extra = Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getName());
        String group = "assignors-" + assignor.getSimpleName();
        Member p = new Member("p", group, extra).subscribe(topic);
        Member q = new Member("q", group, extra).subscribe(topic);
        Member r = null;
        try {
            pollUntil(List.of(p, q), Duration.ofSeconds(60), "two members have two partitions each",
                    () -> disjointCover(List.of(p, q), 4) && p.assignment().size() == 2);
            r = new Member("r", group, extra).subscribe(topic);
            List<Member> three = List.of(p, q, r);
            pollUntil(three, Duration.ofSeconds(60), "a third member gets a share",
                    () -> disjointCover(three, 4) && three.stream().allMatch(m -> !m.assignment().isEmpty()));
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(30, TimeUnit.SECONDS);
            String expected = assignor == RangeAssignor.class ? "range"
                    : assignor == RoundRobinAssignor.class ? "roundrobin" : "cooperative-sticky";
            assertEquals(expected, d.partitionAssignor());
        } finally {
            closeAll(r == null ? List.of(p, q) : List.of(p, q, r));
        }
    }
}
