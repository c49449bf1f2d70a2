package io.tributary.api.rest;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GroupListsTest {

    private static JsonObject group(String id, String state) {
        return Json.createObjectBuilder().add("consumer_group_id", id).add("state", state).build();
    }

    @Test
    void everyBrokersGroupsAreListedOnceInGroupIdOrder() {
        List<JsonObject> merged = GroupLists.merge(List.of(
                List.of(group("b", "STABLE")),
                List.of(group("c", "EMPTY"), group("a", "STABLE")),
                List.of()));
        assertEquals(List.of("a", "b", "c"), merged.stream().map(g -> g.getString("consumer_group_id")).toList());
    }

    @Test
    void aGroupListedByTwoBrokersWhileItsCoordinatorMovesIsTheFirstListsEntry() {
        List<JsonObject> merged = GroupLists.merge(List.of(
                List.of(group("g", "STABLE")),
                List.of(group("g", "PREPARING_REBALANCE"))));
        assertEquals(List.of(group("g", "STABLE")), merged);
    }
}
