package io.tributary.api.rest;

import io.tributary.app.BrokerNotAvailableException;
import io.tributary.broker.UnknownPartitionException;
import jakarta.json.JsonException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.CorruptRecordException;

import java.lang.System.Logger.Level;

/**
 * Turns every failure into the fitting HTTP status and a JSON body
 * {@code {"error_code": N, "message": "..."}}. The v3 API uses the HTTP status as the error code;
 * v2 uses the REST Proxy's finer codes where it has them (40401 unknown topic, 40402 unknown
 * partition). Unexpected failures are logged and answered 500 without internals.
 */
@Provider
public class ErrorMapper implements ExceptionMapper<Throwable> {

    private static final System.Logger LOG = System.getLogger(ErrorMapper.class.getName());

    @Context
    UriInfo uriInfo;

    @Override
    public Response toResponse(Throwable failure) {
        int status;
        int code;
        String message = failure.getMessage();
        if (failure instanceof RestException e) {
            status = e.status();
            code = status;
        } else if (failure instanceof WebApplicationException e) {
            status = e.getResponse().getStatus();
            code = status;
            if (status == 404) {
                message = "Not found: " + (uriInfo == null ? "" : "/" + uriInfo.getPath());
            } else if (status == 405) {
                message = "Method not allowed on " + (uriInfo == null ? "this resource" : "/" + uriInfo.getPath());
            } else if (status == 415) {
                message = "Unsupported Content-Type; see the API documentation for the accepted media types";
            }
        } else if (failure instanceof JsonException) {
            status = 400;
            code = 400;
            message = "Malformed JSON: " + failure.getMessage();
        } else if (failure instanceof UnknownPartitionException) {
            status = 404;
            code = v2() ? 40402 : 404;
        } else if (failure instanceof UnknownTopicOrPartitionException) {
            status = 404;
            code = v2() ? 40401 : 404;
        } else if (failure instanceof OffsetOutOfRangeException) {
            status = 404;
            code = v2() ? 40402 : 404;
        } else if (failure instanceof GroupIdNotFoundException) {
            status = 404;
            code = 404;
        } else if (failure instanceof GroupNotEmptyException) {
            status = 409;
            code = 409;
        } else if (failure instanceof TopicExistsException) {
            status = 409;
            code = v2() ? 40902 : 409;
        } else if (failure instanceof InvalidTopicException) {
            status = 400;
            code = 400;
        } else if (failure instanceof RecordTooLargeException
                || failure instanceof org.apache.kafka.common.errors.RecordBatchTooLargeException) {
            status = 413;
            code = 413;
        } else if (failure instanceof InvalidConfigurationException || failure instanceof InvalidPartitionsException
                || failure instanceof InvalidReplicationFactorException || failure instanceof InvalidRequestException
                || failure instanceof InvalidTimestampException || failure instanceof CorruptRecordException
                || failure instanceof org.apache.kafka.common.InvalidRecordException) {
            status = 422;
            code = v2() ? 42200 : 422;
        } else if (failure instanceof BrokerNotAvailableException
                || failure instanceof org.apache.kafka.common.errors.RetriableException) {
            status = 503;
            code = 503;
        } else if (failure instanceof KafkaStorageException) {
            status = 503;
            code = 503;
            LOG.log(Level.ERROR, "Storage failure answering /" + path() + ": " + failure.getMessage(), failure);
        } else if (failure instanceof ApiException) {
            status = 500;
            code = v2() ? 50002 : 500;
        } else {
            status = 500;
            code = 500;
            LOG.log(Level.ERROR, "Unexpected failure answering /" + path(), failure);
            message = "Internal error: " + failure.getClass().getSimpleName()
                    + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        }
        if (message == null) {
            message = failure.getClass().getSimpleName();
        }
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorResponse(code, message))
                .build();
    }

    private String path() {
        return uriInfo == null ? "" : uriInfo.getPath();
    }

    private boolean v2() {
        String p = path();
        return p.startsWith("topics") || p.startsWith("/topics") || p.startsWith("consumers") || p.startsWith("/consumers");
    }
}
