package io.tributary.api.rest;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

import java.io.IOException;

/**
 * Hands every request to {@link GroupForwarding} before it is matched to a resource, so requests
 * about a group another broker coordinates are answered by that broker. JAX-RS creates providers
 * itself (with a no-argument constructor), hence the field injection.
 */
@Provider
@PreMatching
public class GroupForwardingFilter implements ContainerRequestFilter {

    @Inject
    GroupForwarding forwarding;

    @Override
    public void filter(ContainerRequestContext request) throws IOException {
        forwarding.filter(request);
    }
}
