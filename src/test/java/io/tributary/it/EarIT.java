package io.tributary.it;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The EAR that wraps the WAR deploys on Liberty and serves the same API at the context root. Run by the ear module. */
class EarIT {

    @Test
    void earDeploysAndAnswers() {
        try (LibertyServer server = new LibertyServer(LibertyServer.App.EAR, Map.of())) {
            server.start();
            Http http = new Http(server);
            assertEquals(200, http.get("/health/ready").status());
            assertEquals(200, http.post("/topics/ear", "application/vnd.kafka.json.v2+json",
                    "{\"records\":[{\"value\":{\"hello\":\"ear\"}}]}").status());
            assertEquals("ear", http.get("/topics/ear/partitions/0/records?offset=0").array().getJsonObject(0)
                    .getJsonObject("value").getString("hello"));
        }
    }
}
