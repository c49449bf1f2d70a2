package io.tributary.api.rest;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST API at the context root: Confluent REST Proxy style v2 ({@code /topics}) and v3 ({@code /v3}). */
@ApplicationPath("/")
public class RestApplication extends Application {
}
