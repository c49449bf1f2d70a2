package io.tributary.protocol;

import io.tributary.broker.Partition;
import io.tributary.storage.OffsetAndTimestamp;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * ListOffsets: the earliest offset (-2), the latest (-1, the high watermark: what a consumer can
 * read up to), the record with the largest timestamp (-3), or the first record at or after a
 * timestamp. Without tiered storage the earliest local offset (-4) is the earliest offset, and
 * the tiered-storage lookups (-5, -6) find nothing (offset -1).
 *
 * <p>Thread-safe.
 */
final class ListOffsetsApi implements KafkaApis.ApiHandler {

    private final BrokerContext broker;

    ListOffsetsApi(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext ctx, AbstractRequest request) {
        ListOffsetsRequestData req = ((ListOffsetsRequest) request).data();
        ListOffsetsResponseData out = new ListOffsetsResponseData();
        for (ListOffsetsRequestData.ListOffsetsTopic t : req.topics()) {
            ListOffsetsResponseData.ListOffsetsTopicResponse topic = new ListOffsetsResponseData.ListOffsetsTopicResponse()
                    .setName(t.name());
            out.topics().add(topic);
            for (ListOffsetsRequestData.ListOffsetsPartition p : t.partitions()) {
                ListOffsetsResponseData.ListOffsetsPartitionResponse r = lookUp(t.name(), p);
                if (ctx.version() < 4) {
                    // The leader epoch is a v4 field; older versions cannot carry it.
                    r.setLeaderEpoch(-1);
                }
                topic.partitions().add(r);
            }
        }
        return ctx.respondNow(out);
    }

    private ListOffsetsResponseData.ListOffsetsPartitionResponse lookUp(String topic, ListOffsetsRequestData.ListOffsetsPartition p) {
        ListOffsetsResponseData.ListOffsetsPartitionResponse r = new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                .setPartitionIndex(p.partitionIndex()).setOffset(-1).setTimestamp(-1).setLeaderEpoch(-1);
        try {
            Partition partition = broker.replicas().partitionOrThrow(new TopicPartition(topic, p.partitionIndex()));
            // A follower's high watermark lags the leader's: only the leader answers.
            partition.ensureLeader(p.currentLeaderEpoch());
            PartitionLog log = partition.log();
            int epoch = partition.state().leaderEpoch();
            long ts = p.timestamp();
            if (ts == -1) {
                return r.setOffset(log.highWatermark()).setLeaderEpoch(epoch);
            }
            if (ts == -2 || ts == -4) {
                return r.setOffset(log.logStartOffset()).setLeaderEpoch(epoch);
            }
            if (ts < -2) {
                Optional<OffsetAndTimestamp> found = ts == -3 ? log.lastOffsetAndMaxTimestamp() : Optional.empty();
                return found.filter(f -> f.offset() < log.highWatermark())
                        .map(f -> r.setOffset(f.offset()).setTimestamp(f.timestamp()).setLeaderEpoch(epoch))
                        .orElse(r);
            }
            return log.offsetForTimestamp(ts)
                    .filter(f -> f.offset() < log.highWatermark())
                    .map(f -> r.setOffset(f.offset()).setTimestamp(f.timestamp()).setLeaderEpoch(epoch))
                    .orElse(r);
        } catch (ApiException e) {
            return r.setErrorCode(Errors.forException(e).code());
        }
    }
}
