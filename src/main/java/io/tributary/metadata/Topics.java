package io.tributary.metadata;

import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;

/**
 * Kafka's topic-name rules. Delegates to kafka-clients so a name we accept is exactly a name
 * Kafka accepts, and the error messages match what Kafka clients are used to.
 *
 * <p>Stateless and thread-safe.
 */
public final class Topics {

    /** Longest legal topic name; Kafka derives it from the 255-byte file-name limit of log dirs. */
    public static final int MAX_NAME_LENGTH = 249;

    private Topics() {
    }

    /**
     * Checks a topic name: 1 to 249 characters from {@code [a-zA-Z0-9._-]}, and neither
     * {@code "."} nor {@code ".."}.
     *
     * @throws InvalidTopicException naming the rule the name breaks
     */
    public static void validateName(String name) {
        if (name == null) {
            throw new InvalidTopicException("Topic name is illegal, it can't be null");
        }
        Topic.validate(name);
    }

    /** Whether the name is legal, without building an exception. */
    public static boolean isValidName(String name) {
        return name != null && Topic.isValid(name);
    }

    /**
     * Whether the name contains {@code '.'} or {@code '_'}, which collide in metric names, so
     * {@code a.b} and {@code a_b} cannot both exist.
     */
    public static boolean hasCollisionChars(String name) {
        return Topic.hasCollisionChars(name);
    }

    /** The name with {@code '.'} replaced by {@code '_'}: two topics collide if these are equal. */
    public static String unifyCollisionChars(String name) {
        return Topic.unifyCollisionChars(name);
    }

    /** Whether two topic names would collide in metric names. */
    public static boolean collide(String a, String b) {
        return Topic.hasCollision(a, b);
    }

    /** Whether the topic is one of Kafka's internal topics, e.g. {@code __consumer_offsets}. */
    public static boolean isInternal(String name) {
        return Topic.isInternal(name);
    }
}
