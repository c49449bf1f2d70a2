package io.tributary.broker.subscription;

import org.apache.kafka.common.TopicPartition;

/**
 * A session asked for a partition it already follows. Re-positioning in place would deliver records
 * twice or skip some within one session, so it is refused; a client seeks by reconnecting.
 */
public final class AlreadySubscribedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AlreadySubscribedException(TopicPartition tp) {
        super("This session already subscribes to " + tp + "; to start it elsewhere, open a new session");
    }
}
