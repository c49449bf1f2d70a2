package io.tributary.broker;

import org.apache.kafka.common.utils.Utils;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses a partition for records that do not name one. A keyed record goes where Kafka's default
 * partitioner puts it ({@code toPositive(murmur2(key)) % partitions}), so REST, WebSocket and Kafka
 * clients agree on where a key lives. Records without a key stick to one partition per request
 * and the next request moves on to the next partition: a request's records stay in one batch (one
 * append, one fsync when flushing per message) while load still spreads across the topic.
 *
 * <p>Thread-safe.
 */
public final class Partitioner {

    private final Map<String, AtomicInteger> nextUnkeyed = new ConcurrentHashMap<>();

    public static int forKey(ByteBuffer key, int partitions) {
        byte[] bytes = new byte[key.remaining()];
        key.duplicate().get(bytes);
        return Utils.toPositive(Utils.murmur2(bytes)) % partitions;
    }

    /** The partition for this request's unkeyed records. */
    public int forUnkeyedRequest(String topic, int partitions) {
        int next = nextUnkeyed.computeIfAbsent(topic, t -> new AtomicInteger(0)).getAndIncrement();
        return Utils.toPositive(next) % partitions;
    }

    void forget(String topic) {
        nextUnkeyed.remove(topic);
    }
}
