package io.tributary.api.rest;

import io.tributary.broker.consumer.ConsumerException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * Answers failures of REST consumer instances with Confluent's REST Proxy v2 statuses and codes:
 * 404/40403 unknown instance, 409/40902 instance exists, 409/40903 illegal state, 406/40601 format
 * mismatch, 422/42204 invalid consumer configuration, 404/40402 no offset to start from.
 */
@Provider
public class ConsumerErrorMapper implements ExceptionMapper<ConsumerException> {

    @Override
    public Response toResponse(ConsumerException e) {
        int status;
        int code;
        switch (e.reason()) {
            case INSTANCE_NOT_FOUND -> {
                status = 404;
                code = 40403;
            }
            case INSTANCE_EXISTS -> {
                status = 409;
                code = 40902;
            }
            case ILLEGAL_STATE -> {
                status = 409;
                code = 40903;
            }
            case NO_OFFSET -> {
                status = 404;
                code = 40402;
            }
            case INVALID_CONFIG -> {
                status = 422;
                code = 42204;
            }
            case FORMAT_MISMATCH -> {
                status = 406;
                code = 40601;
            }
            default -> {
                status = 500;
                code = 500;
            }
        }
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorResponse(code, e.getMessage())).build();
    }
}
