package io.tributary.broker.subscription;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;

/** A subscription asked to start at an offset the partition does not hold; says which offsets it does. */
public final class StartOffsetOutOfRangeException extends OffsetOutOfRangeException {
    private static final long serialVersionUID = 1L;

    private final transient TopicPartition topicPartition;
    private final long requested;
    private final long first;
    private final long end;

    StartOffsetOutOfRangeException(TopicPartition tp, long requested, long first, long end) {
        super("Offset " + requested + " is out of range for " + tp + ": valid start offsets are " + first + " to " + end
                + " (" + end + " is the end: the next record to be written)");
        this.topicPartition = tp;
        this.requested = requested;
        this.first = first;
        this.end = end;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public long requested() {
        return requested;
    }

    /** The log start offset. */
    public long first() {
        return first;
    }

    /** The high watermark: the last valid start offset. */
    public long end() {
        return end;
    }
}
