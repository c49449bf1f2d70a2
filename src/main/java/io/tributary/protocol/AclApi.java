package io.tributary.protocol;

import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.requests.AbstractRequest;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * DescribeAcls, CreateAcls and DeleteAcls on a broker without an authorizer: Tributary has no
 * ACLs, so each is answered as Kafka answers them when no {@code authorizer.class.name} is set,
 * with SECURITY_DISABLED ("No Authorizer is configured") in the request's own error shape (the
 * whole answer for DescribeAcls, every creation or filter for the others).
 *
 * <p>Clients take that answer to mean "there are no ACLs to manage": MirrorMaker 2's default topic
 * ACL sync stops quietly, and {@code kafka-acls} says the broker has no authorizer. An API that is
 * not advertised would instead fail those tools with UNSUPPORTED_VERSION.
 *
 * <p>Stateless and thread-safe.
 */
final class AclApi implements KafkaApis.ApiHandler {

    static final String NO_AUTHORIZER = "No Authorizer is configured on the broker";

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext context, AbstractRequest request) {
        // KafkaApis turns the failure into the request's error response at its version.
        return CompletableFuture.failedFuture(new SecurityDisabledException(NO_AUTHORIZER));
    }
}
