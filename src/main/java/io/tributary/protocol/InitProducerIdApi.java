package io.tributary.protocol;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;

import java.util.concurrent.CompletionStage;

/**
 * InitProducerId for idempotent (non-transactional) producers: a fresh producer id at epoch 0 on
 * every call, as Kafka does without a transactional id; the partitions' producer state then
 * de-duplicates the producer's retries. A transactional id is refused: transactions come later.
 *
 * <p>Thread-safe.
 */
final class InitProducerIdApi implements KafkaApis.ApiHandler {

    private final ProducerIdManager producerIds;

    InitProducerIdApi(ProducerIdManager producerIds) {
        this.producerIds = producerIds;
    }

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext ctx, AbstractRequest request) {
        InitProducerIdRequestData req = ((InitProducerIdRequest) request).data();
        InitProducerIdResponseData out = new InitProducerIdResponseData().setProducerId(-1).setProducerEpoch((short) -1);
        if (req.transactionalId() != null) {
            return ctx.respondNow(out.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        try {
            return ctx.respondNow(out.setProducerId(producerIds.nextProducerId()).setProducerEpoch((short) 0));
        } catch (ApiException e) {
            return ctx.respondNow(out.setErrorCode(Errors.forException(e).code()));
        } catch (RuntimeException e) {
            return ctx.respondNow(out.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()));
        }
    }
}
