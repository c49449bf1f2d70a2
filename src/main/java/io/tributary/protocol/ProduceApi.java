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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Produce: appends each partition's record batches to its log as they arrived (the log validates
 * CRCs, sizes and timestamps and assigns offsets in place), re-encoding only when the topic's
 * {@code compression.type} asks for another codec. Partitions succeed or fail independently; a
 * partition's batches are all appended or none is.
 *
 * <p>acks: 1 is answered after the leader's append. -1 (all) needs at least
 * {@code min.insync.replicas} in-sync replicas to append at all (NOT_ENOUGH_REPLICAS otherwise) and
 * is answered once every in-sync replica holds the records (the high watermark passed them), or with
 * REQUEST_TIMED_OUT after the request's timeout; with one replica the append itself is enough.
 * acks=0 gets no answer; if a partition failed, the connection is closed instead, as in Kafka, so
 * the client notices and refreshes its metadata.
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
        List<Waiting> waiting = new ArrayList<>();
        boolean anyError = false;
        for (ProduceRequestData.TopicProduceData t : req.topicData()) {
            ProduceResponseData.TopicProduceResponse topic = new ProduceResponseData.TopicProduceResponse()
                    .setName(t.name()).setTopicId(t.topicId());
            out.responses().add(topic);
            for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                ProduceResponseData.PartitionProduceResponse result = append(t.name(), t.topicId(), p, acks, waiting);
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
        if (waiting.isEmpty()) {
            return ctx.respondNow(out);
        }
        return awaitReplication(ctx, out, waiting, req.timeoutMs());
    }

    /** An acks=all partition whose records are not yet on every in-sync replica. */
    private record Waiting(Partition partition, CompletableFuture<Errors> replicated,
                           ProduceResponseData.PartitionProduceResponse result) {
    }

    private CompletionStage<RequestHandler.Response> awaitReplication(KafkaApis.RequestContext ctx,
            ProduceResponseData out, List<Waiting> waiting, int timeoutMs) {
        CompletableFuture<?>[] all = waiting.stream().map(Waiting::replicated).toArray(CompletableFuture[]::new);
        CompletableFuture<RequestHandler.Response> answer = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        try {
            timer = broker.scheduler().schedule(() -> {
                for (Waiting w : waiting) {
                    if (w.replicated().complete(Errors.REQUEST_TIMED_OUT)) {
                        w.partition().forget(w.replicated());
                    }
                }
            }, Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            waiting.forEach(w -> w.replicated().complete(Errors.REQUEST_TIMED_OUT));
            timer = null;
        }
        ScheduledFuture<?> cancel = timer;
        CompletableFuture.allOf(all).whenComplete((ignored, error) -> {
            if (cancel != null) {
                cancel.cancel(false);
            }
            for (Waiting w : waiting) {
                Errors e = w.replicated().getNow(Errors.REQUEST_TIMED_OUT);
                if (e != Errors.NONE) {
                    w.result().setErrorCode(e.code()).setErrorMessage(ctx.version() >= 8 ? e.message() : null);
                }
            }
            answer.complete(ctx.respond(out));
        });
        return answer;
    }

    private ProduceResponseData.PartitionProduceResponse append(String name, Uuid topicId,
                                                                ProduceRequestData.PartitionProduceData p, short acks,
                                                                List<Waiting> waiting) {
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
            LogAppendInfo info = partition.appendAsLeader(stored, acks);
            result.setBaseOffset(info.firstOffset())
                    .setLogAppendTimeMs(info.logAppendTimeMs())
                    .setLogStartOffset(info.logStartOffset());
            if (acks == -1) {
                CompletableFuture<Errors> replicated = partition.awaitReplication(info.lastOffset() + 1);
                if (!replicated.isDone() || replicated.getNow(Errors.NONE) != Errors.NONE) {
                    waiting.add(new Waiting(partition, replicated, result));
                }
            }
            return result;
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
