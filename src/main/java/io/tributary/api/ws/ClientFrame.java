package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.subscription.Framing;
import io.tributary.broker.subscription.GroupSubscription;
import io.tributary.group.ManagedMember;
import org.apache.kafka.common.TopicPartition;
import io.tributary.broker.subscription.StartPosition;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The frames a client sends, as parsed by {@link FrameParser}. */
public sealed interface ClientFrame {

    /**
     * {@code {"type":"subscribe","id":"s1","topics":[...],"format":"json","batch":false}}.
     *
     * @param id     echoed in the {@code subscribed} answer and in errors; may be null
     * @param format how keys and values are encoded for this subscription's records
     */
    record Subscribe(String id, List<TopicRequest> topics, EmbeddedFormat format, Framing framing) implements ClientFrame {
        public Subscribe {
            topics = List.copyOf(topics);
        }
    }

    /**
     * One topic of a subscribe frame.
     *
     * @param partitions  the partitions asked for; empty means every partition the topic has now
     * @param from        where every partition starts, unless {@code offsets} names its own
     * @param offsets     exact start offsets by partition ({@code {"offsets":{"0":42}}})
     */
    record TopicRequest(String topic, Optional<List<Integer>> partitions, StartPosition from,
                        Map<Integer, Long> offsets) {
        public TopicRequest {
            partitions = partitions.map(List::copyOf);
            offsets = Map.copyOf(offsets);
        }
    }

    /**
     * A subscribe frame with a {@code group}: join the consumer group, which assigns the partitions.
     *
     * @param topics  topic names (every one must exist), or empty with a {@code pattern}
     * @param pattern {@code topic_pattern}: every topic whose whole name matches, now and later; or null
     */
    record GroupSubscribe(String id, String group, List<String> topics, Pattern pattern, ManagedMember.Assignor assignor,
                          boolean autoCommit, GroupSubscription.OffsetReset autoOffsetReset, int sessionTimeoutMs,
                          long autoCommitIntervalMs, String clientId, EmbeddedFormat format, Framing framing)
            implements ClientFrame {
        public GroupSubscribe {
            topics = List.copyOf(topics);
        }
    }

    /**
     * {@code {"type":"commit","id":"c1","offsets":[{"topic":"orders","partition":0,"offset":42}]}}; without
     * {@code offsets}, everything delivered.
     */
    record Commit(String id, Optional<Map<TopicPartition, Long>> offsets) implements ClientFrame {
        public Commit {
            offsets = offsets.map(Map::copyOf);
        }
    }

    /** {@code {"type":"leave","id":"l1"}}: leave the group at once. */
    record Leave(String id) implements ClientFrame {
    }

    /** {@code {"type":"credit","records":1000,"bytes":1048576}}: more credit, either part optional. */
    record Credit(long records, long bytes) implements ClientFrame {
    }

    /** {@code {"type":"produce","id":"p1","topic":"orders","records":[...]}}: records in the REST v3 record format. */
    record Produce(String id, String topic, List<ProduceRequest> records) implements ClientFrame {
        public Produce {
            records = List.copyOf(records);
        }
    }
}
