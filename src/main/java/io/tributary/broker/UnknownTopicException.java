package io.tributary.broker;

import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** The topic does not exist (a Kafka UNKNOWN_TOPIC_OR_PARTITION; REST tells it apart from a missing partition). */
public final class UnknownTopicException extends UnknownTopicOrPartitionException {
    private static final long serialVersionUID = 1L;

    public UnknownTopicException(String topic) {
        super("Topic '" + topic + "' does not exist.");
    }

    public UnknownTopicException(String topic, String why) {
        super("Topic '" + topic + "' does not exist" + why);
    }
}
