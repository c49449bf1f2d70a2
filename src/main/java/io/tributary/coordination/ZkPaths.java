package io.tributary.coordination;

import java.util.Optional;

import org.apache.kafka.common.TopicPartition;

/**
 * Znode paths, laid out as ZooKeeper-era Kafka lays them out (Kafka's {@code ZkData}), so tools
 * that read a Kafka cluster's ZooKeeper can read ours.
 *
 * <p>Paths are relative to the connection's chroot. Stateless and thread-safe.
 */
public final class ZkPaths {

    public static final String BROKERS = "/brokers";
    public static final String BROKER_IDS = "/brokers/ids";
    public static final String TOPICS = "/brokers/topics";
    public static final String CONFIG = "/config";
    public static final String CONFIG_TOPICS = "/config/topics";
    public static final String CONFIG_BROKERS = "/config/brokers";
    public static final String CLUSTER = "/cluster";
    public static final String CLUSTER_ID = "/cluster/id";
    public static final String CONTROLLER = "/controller";
    public static final String CONTROLLER_EPOCH = "/controller_epoch";
    /** Where brokers run for controller (a Curator LeaderLatch); {@link #CONTROLLER} names the winner as Kafka does. */
    public static final String CONTROLLER_ELECTION = "/tributary/controller_election";
    /**
     * Where a broker that is stopping cleanly asks the controller to move its leaderships away
     * first: one ephemeral child per broker id (Kafka sends a ControlledShutdown request instead).
     */
    public static final String CONTROLLED_SHUTDOWN = "/tributary/controlled_shutdown";
    public static final String ADMIN = "/admin";
    public static final String DELETE_TOPICS = "/admin/delete_topics";
    /** Kafka's producer id block allocation: the last block handed out, cluster-wide. */
    public static final String LATEST_PRODUCER_ID_BLOCK = "/latest_producer_id_block";

    private ZkPaths() {
    }

    public static String broker(int id) {
        return BROKER_IDS + "/" + id;
    }

    public static String controlledShutdown(int brokerId) {
        return CONTROLLED_SHUTDOWN + "/" + brokerId;
    }

    /** The broker id of {@code /tributary/controlled_shutdown/<id>}, or empty for any other path. */
    static Optional<Integer> controlledShutdownOf(String path) {
        String rest = childOf(CONTROLLED_SHUTDOWN, path);
        if (rest == null || rest.indexOf('/') >= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(rest));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public static String topic(String topic) {
        return TOPICS + "/" + topic;
    }

    public static String partitions(String topic) {
        return topic(topic) + "/partitions";
    }

    public static String partition(String topic, int partition) {
        return partitions(topic) + "/" + partition;
    }

    public static String partitionState(String topic, int partition) {
        return partition(topic, partition) + "/state";
    }

    public static String partitionState(TopicPartition tp) {
        return partitionState(tp.topic(), tp.partition());
    }

    public static String topicConfig(String topic) {
        return CONFIG_TOPICS + "/" + topic;
    }

    public static String brokerConfig(int id) {
        return CONFIG_BROKERS + "/" + id;
    }

    public static String topicDeletion(String topic) {
        return DELETE_TOPICS + "/" + topic;
    }

    /** The topic of {@code /brokers/topics/<t>}, or empty for any other path. */
    static Optional<String> topicOf(String path) {
        String rest = childOf(TOPICS, path);
        return rest != null && rest.indexOf('/') < 0 ? Optional.of(rest) : Optional.empty();
    }

    /** The topic of {@code /config/topics/<t>}, or empty for any other path. */
    static Optional<String> configTopicOf(String path) {
        String rest = childOf(CONFIG_TOPICS, path);
        return rest != null && rest.indexOf('/') < 0 ? Optional.of(rest) : Optional.empty();
    }

    /** The broker id of {@code /brokers/ids/<id>}, or empty for any other path. */
    static Optional<Integer> brokerIdOf(String path) {
        String rest = childOf(BROKER_IDS, path);
        if (rest == null || rest.indexOf('/') >= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(rest));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The partition of {@code /brokers/topics/<t>/partitions/<p>/state}, or empty for any other path. */
    static Optional<TopicPartition> partitionStateOf(String path) {
        String rest = childOf(TOPICS, path);
        if (rest == null) {
            return Optional.empty();
        }
        String[] parts = rest.split("/", -1);
        if (parts.length != 4 || !parts[1].equals("partitions") || !parts[3].equals("state")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new TopicPartition(parts[0], Integer.parseInt(parts[2])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String childOf(String parent, String path) {
        if (path == null || !path.startsWith(parent + "/") || path.length() == parent.length() + 1) {
            return null;
        }
        return path.substring(parent.length() + 1);
    }
}
