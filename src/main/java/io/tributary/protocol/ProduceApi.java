package io.tributary.protocol;

import io.tributary.broker.Partition;
import io.tributary.storage.PartitionLog.LogAppendInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ProduceRequest;

import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Produce: appends each partition's record batches to its log as they arrived (the log validates
 * CRCs, sizes and timestamps and assigns offsets in place), re-encoding only when the topic's
 * {@code compression.type} asks for another codec. Partitions succeed or fail independently; a
 * partition's batches are all appended or none is.
 *
 * <p>acks: 1 and -1 (all) are answered after the append; with one replica the in-sync set is the
 * leader, so "all" is reached by the append itself. acks=0 gets no answer; if a partition failed,
 * the connection is closed instead, as in Kafka, so the client notices and refreshes its metadata.
 *
 * <p>Thread-safe.
 */
final class ProduceApi implements KafkaApis.ApiHandler {

    private static final System.Logger LOG = System.getLogger(ProduceApi.class.getName());

    private final BrokerContext broker;

    ProduceApi(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext ctx, AbstractRequest request) {
        ProduceRequestData req = ((ProduceRequest) request).data();
        short acks = req.acks();
        if (acks != 0 && acks != 1 && acks != -1) {
            return ctx.respondNow(errorAll(req, Errors.INVALID_REQUIRED_ACKS, "acks must be 0, 1 or -1"));
        }
        if (req.transactionalId() != null) {
            return ctx.respondNow(errorAll(req, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                    "Tributary does not support transactions yet"));
        }
        ProduceResponseData out = new ProduceResponseData();
        boolean anyError = false;
        for (ProduceRequestData.TopicProduceData t : req.topicData()) {
            ProduceResponseData.TopicProduceResponse topic = new ProduceResponseData.TopicProduceResponse()
                    .setName(t.name()).setTopicId(t.topicId());
            out.responses().add(topic);
            for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                ProduceResponseData.PartitionProduceResponse result = append(t.name(), t.topicId(), p);
                if (ctx.version() < 5) {
                    result.setLogStartOffset(-1);
                }
                if (ctx.version() < 8) {
                    result.setErrorMessage(null);
                }
                anyError |= result.errorCode() != Errors.NONE.code();
                topic.partitionResponses().add(result);
            }
        }
        if (acks == 0) {
            return CompletableFuture.completedFuture(anyError
                    ? RequestHandler.Response.close("an acks=0 produce request failed")
                    : RequestHandler.Response.NONE);
        }
        return ctx.respondNow(out);
    }

    private ProduceResponseData.PartitionProduceResponse append(String name, Uuid topicId,
                                                                ProduceRequestData.PartitionProduceData p) {
        ProduceResponseData.PartitionProduceResponse result = new ProduceResponseData.PartitionProduceResponse()
                .setIndex(p.index()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
        try {
            String topicName = broker.resolveTopic(name, topicId);
            Partition partition = broker.replicas().partitionOrThrow(new TopicPartition(topicName, p.index()));
            if (!(p.records() instanceof MemoryRecords records) || records.sizeInBytes() == 0) {
                throw new CorruptRecordException("Produce request for " + topicName + "-" + p.index()
                        + " carries no record batch");
            }
            if (ProducedBatches.anyTransactional(records)) {
                throw new InvalidRequestException("Transactional and control batches are not supported yet");
            }
            MemoryRecords stored = ProducedBatches.withTopicCompression(records,
                    partition.log().config().compressionType());
            LogAppendInfo info = partition.appendAsLeader(stored);
            return result.setBaseOffset(info.firstOffset())
                    .setLogAppendTimeMs(info.logAppendTimeMs())
                    .setLogStartOffset(info.logStartOffset());
        } catch (ApiException e) {
            Errors error = Errors.forException(e);
            return result.setErrorCode(error.code()).setErrorMessage(e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Produce to " + name + "-" + p.index() + " failed", e);
            return result.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
        }
    }

    private static ProduceResponseData errorAll(ProduceRequestData req, Errors error, String message) {
        ProduceResponseData out = new ProduceResponseData();
        for (ProduceRequestData.TopicProduceData t : req.topicData()) {
            ProduceResponseData.TopicProduceResponse topic = new ProduceResponseData.TopicProduceResponse()
                    .setName(t.name()).setTopicId(t.topicId());
            for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                topic.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse()
                        .setIndex(p.index()).setErrorCode(error.code()).setErrorMessage(message)
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1));
            }
            out.responses().add(topic);
        }
        return out;
    }
}
