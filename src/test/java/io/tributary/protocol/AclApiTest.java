package io.tributary.protocol;

import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.CreateAclsResponse;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ACL APIs of a broker without an authorizer: SECURITY_DISABLED in each request's own error shape, at every version. */
class AclApiTest {

    private final KafkaApis apis = new KafkaApis()
            .register(ApiKeys.DESCRIBE_ACLS, 1, 3, new AclApi())
            .register(ApiKeys.CREATE_ACLS, 1, 3, new AclApi())
            .register(ApiKeys.DELETE_ACLS, 1, 3, new AclApi());

    private AbstractResponse call(ApiKeys api, short version, ApiMessage data) throws IOException {
        RequestHeader header = new RequestHeader(api, version, "test", 9);
        RequestHandler.Response response = apis.handle(new RequestHandler.Request("c", InetAddress.getLoopbackAddress(),
                Sends.serialize(SendBuilder.buildRequestSend(header, data)))).toCompletableFuture().join();
        return AbstractResponse.parseResponse(Sends.serialize(response.send()), header);
    }

    @Test
    void describeAclsSaysNoAuthorizerIsConfigured() throws Exception {
        for (short v = 1; v <= 3; v++) {
            DescribeAclsResponse r = (DescribeAclsResponse) call(ApiKeys.DESCRIBE_ACLS, v, new DescribeAclsRequestData()
                    .setResourceTypeFilter((byte) 1).setPatternTypeFilter((byte) 1)
                    .setOperation((byte) 1).setPermissionType((byte) 1));
            assertEquals(Errors.SECURITY_DISABLED.code(), r.data().errorCode(), "v" + v);
            assertEquals(AclApi.NO_AUTHORIZER, r.data().errorMessage());
            assertEquals(List.of(), r.data().resources());
        }
    }

    @Test
    void everyAclCreationAndDeletionFilterIsRefused() throws Exception {
        for (short v = 1; v <= 3; v++) {
            CreateAclsRequestData.AclCreation creation = new CreateAclsRequestData.AclCreation().setResourceType((byte) 2)
                    .setResourceName("orders").setResourcePatternType((byte) 3).setPrincipal("User:alice").setHost("*")
                    .setOperation((byte) 3).setPermissionType((byte) 3);
            CreateAclsResponse created = (CreateAclsResponse) call(ApiKeys.CREATE_ACLS, v,
                    new CreateAclsRequestData().setCreations(List.of(creation, creation.duplicate().setResourceName("payments"))));
            assertEquals(2, created.results().size(), "v" + v);
            created.results().forEach(c -> assertEquals(Errors.SECURITY_DISABLED.code(), c.errorCode()));

            DeleteAclsResponse deleted = (DeleteAclsResponse) call(ApiKeys.DELETE_ACLS, v, new DeleteAclsRequestData()
                    .setFilters(List.of(new DeleteAclsRequestData.DeleteAclsFilter().setResourceTypeFilter((byte) 2)
                            .setResourceNameFilter("orders").setPatternTypeFilter((byte) 3).setOperation((byte) 1)
                            .setPermissionType((byte) 1))));
            assertEquals(1, deleted.filterResults().size(), "v" + v);
            assertEquals(Errors.SECURITY_DISABLED.code(), deleted.filterResults().get(0).errorCode());
        }
    }
}
