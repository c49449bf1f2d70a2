package io.tributary.protocol;

import io.tributary.broker.Partition;
import io.tributary.storage.LeaderEpochCache;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;

import java.util.concurrent.CompletionStage;

/**
 * OffsetsForLeaderEpoch: where the leader's copy of a given leader epoch ends, i.e. the start
 * offset of the next epoch it knows, or its log end offset for its latest epoch. A follower
 * truncates there before fetching after a leader change; a consumer uses it to detect that records
 * it read were truncated away. Only the leader answers; a caller that knows another leader epoch
 * gets FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH.
 *
 * <p>Thread-safe.
 */
final class OffsetsForLeaderEpochApi implements KafkaApis.ApiHandler {

    private final BrokerContext broker;

    OffsetsForLeaderEpochApi(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext ctx, AbstractRequest request) {
        OffsetForLeaderEpochRequestData req = ((OffsetsForLeaderEpochRequest) request).data();
        OffsetForLeaderEpochResponseData out = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic t : req.topics()) {
            OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult topic =
                    new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult().setTopic(t.topic());
            out.topics().add(topic);
            for (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p : t.partitions()) {
                OffsetForLeaderEpochResponseData.EpochEndOffset result = new OffsetForLeaderEpochResponseData.EpochEndOffset()
                        .setPartition(p.partition())
                        .setLeaderEpoch(LeaderEpochCache.UNDEFINED_EPOCH)
                        .setEndOffset(LeaderEpochCache.UNDEFINED_OFFSET);
                try {
                    Partition partition = broker.replicas().partitionOrThrow(new TopicPartition(t.topic(), p.partition()));
                    LeaderEpochCache.EpochEndOffset end = partition.endOffsetForEpoch(p.leaderEpoch(), p.currentLeaderEpoch());
                    result.setLeaderEpoch(end.leaderEpoch()).setEndOffset(end.endOffset());
                } catch (ApiException e) {
                    result.setErrorCode(Errors.forException(e).code());
                } catch (RuntimeException e) {
                    result.setErrorCode(Errors.forException(e).code());
                }
                topic.partitions().add(result);
            }
        }
        return ctx.respondNow(out);
    }
}
