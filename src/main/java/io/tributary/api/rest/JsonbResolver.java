package io.tributary.api.rest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.bind.Jsonb;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;

/** Makes JAX-RS serialise responses with the API's JSON-B configuration. */
@Provider
@ApplicationScoped
public class JsonbResolver implements ContextResolver<Jsonb> {

    @Inject
    JsonCodec codec;

    @Override
    public Jsonb getContext(Class<?> type) {
        return codec.jsonb();
    }
}
