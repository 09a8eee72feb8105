package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.index.IndexRequest;
import org.elasticsearch.common.xcontent.XContentType;
import org.elasticsearch.rest.RestStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RestBulkCallTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<DocWriteRequest<?>> REQUESTS = List.of(
            new IndexRequest("t1").id("a").opType(DocWriteRequest.OpType.CREATE).source("{\"x\":1}", XContentType.JSON),
            new IndexRequest("t1").id("a").opType(DocWriteRequest.OpType.CREATE).source("{\"x\":1}", XContentType.JSON),
            new IndexRequest("t1").source("{\"x\":{\"y\":1}}", XContentType.JSON),
            new IndexRequest("t1").id("b").opType(DocWriteRequest.OpType.CREATE).source("{\"x\":\"str\"}", XContentType.JSON));

    @Test
    void theBodyIsAnActionLineAndASourceLinePerDocument() throws Exception {
        String body = new String(RestBulkCall.body(REQUESTS), StandardCharsets.UTF_8);
        assertThat(body).isEqualTo("{\"create\":{\"_index\":\"t1\",\"_id\":\"a\"}}\n{\"x\":1}\n"
                + "{\"create\":{\"_index\":\"t1\",\"_id\":\"a\"}}\n{\"x\":1}\n"
                + "{\"index\":{\"_index\":\"t1\"}}\n{\"x\":{\"y\":1}}\n"
                + "{\"create\":{\"_index\":\"t1\",\"_id\":\"b\"}}\n{\"x\":\"str\"}\n");
    }

    @Test
    void aSourceSpreadOverLinesIsReencodedOnOne() throws Exception {
        IndexRequest pretty = new IndexRequest("t1").id("p").source("{\n  \"x\" : \"a\\nb\",\r\n  \"y\" : [1, 2]\n}", XContentType.JSON);
        String body = new String(RestBulkCall.body(List.of(pretty)), StandardCharsets.UTF_8);
        assertThat(body).isEqualTo("{\"index\":{\"_index\":\"t1\",\"_id\":\"p\"}}\n{\"x\":\"a\\nb\",\"y\":[1,2]}\n");
    }

    /**
     * The same bulk (create a, create a again, a mapping error, another mapping error) as 7.17.29, 8.19.21 and 9.2.8
     * answered it: 7.x adds {@code _type}, 8.x and 9.x name the mapping error differently.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"took\":82,\"errors\":true,\"items\":[{\"create\":{\"_index\":\"t1\",\"_type\":\"_doc\",\"_id\":\"a\",\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},\"_seq_no\":0,\"_primary_term\":1,\"status\":201}},{\"create\":{\"_index\":\"t1\",\"_type\":\"_doc\",\"_id\":\"a\",\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",\"reason\":\"[a]: version conflict, document already exists (current version [1])\",\"index_uuid\":\"hTphsrXvQYOwFpqvv7gZug\",\"shard\":\"0\",\"index\":\"t1\"}}},{\"index\":{\"_index\":\"t1\",\"_type\":\"_doc\",\"_id\":\"QlrqMaIBjRHk5xmQT88L\",\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to parse field [x] of type [long] in document with id 'QlrqMaIBjRHk5xmQT88L'. Preview of field's value: '{y=1}'\",\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"Cannot parse object as number\"}}}},{\"create\":{\"_index\":\"t1\",\"_type\":\"_doc\",\"_id\":\"b\",\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to parse field [x] of type [long] in document with id 'b'. Preview of field's value: 'str'\",\"caused_by\":{\"type\":\"number_format_exception\",\"reason\":\"For input string: \\\"str\\\"\"}}}}]}",
        "{\"errors\":true,\"took\":200,\"items\":[{\"create\":{\"_index\":\"t1\",\"_id\":\"a\",\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},\"_seq_no\":0,\"_primary_term\":1,\"status\":201}},{\"create\":{\"_index\":\"t1\",\"_id\":\"a\",\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",\"reason\":\"[a]: version conflict, document already exists (current version [1])\",\"index_uuid\":\"BYBvekVjRsGqGpMLLjTiCA\",\"shard\":\"0\",\"index\":\"t1\"}}},{\"index\":{\"_index\":\"t1\",\"_id\":\"tVXqMaIBaqz_j9QwURSu\",\"status\":400,\"error\":{\"type\":\"document_parsing_exception\",\"reason\":\"[1:12] failed to parse field [x] of type [long] in document with id 'tVXqMaIBaqz_j9QwURSu'. Preview of field's value: '{y=1}'\",\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"Cannot parse object as number\"}}}},{\"create\":{\"_index\":\"t1\",\"_id\":\"b\",\"status\":400,\"error\":{\"type\":\"document_parsing_exception\",\"reason\":\"[1:6] failed to parse field [x] of type [long] in document with id 'b'. Preview of field's value: 'str'\",\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"For input string: \\\"str\\\"\"}}}}]}",
        "{\"errors\":true,\"took\":201,\"items\":[{\"create\":{\"_index\":\"t1\",\"_id\":\"a\",\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},\"_seq_no\":0,\"_primary_term\":1,\"status\":201}},{\"create\":{\"_index\":\"t1\",\"_id\":\"a\",\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",\"reason\":\"[a]: version conflict, document already exists (current version [1])\",\"index_uuid\":\"FBIskzH4Tda1cwEBG0M5Zg\",\"shard\":\"0\",\"index\":\"t1\"}}},{\"index\":{\"_index\":\"t1\",\"_id\":\"5cXpMaIBW8xll607iVGe\",\"status\":400,\"error\":{\"type\":\"document_parsing_exception\",\"reason\":\"[1:12] failed to parse field [x] of type [long] in document with id '5cXpMaIBW8xll607iVGe'. Preview of field's value: '{y=1}'\",\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"Cannot parse object as number\"}}}},{\"create\":{\"_index\":\"t1\",\"_id\":\"b\",\"status\":400,\"error\":{\"type\":\"document_parsing_exception\",\"reason\":\"[1:6] failed to parse field [x] of type [long] in document with id 'b'. Preview of field's value: 'str'\",\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"For input string: \\\"str\\\"\"}}}}]}"
    })
    void responsesOfEverySupportedMajorReadTheSame(String answer) throws Exception {
        BulkResponse r = RestBulkCall.parse(JSON.readTree(answer), REQUESTS);
        BulkItemResponse[] items = r.getItems();
        assertThat(items).hasSize(4);
        assertThat(r.hasFailures()).isTrue();

        assertThat(items[0].isFailed()).isFalse();
        assertThat(items[0].getId()).isEqualTo("a");
        assertThat(items[0].getIndex()).isEqualTo("t1");
        assertThat(items[0].getOpType()).isEqualTo(DocWriteRequest.OpType.CREATE);
        assertThat(items[0].status()).isEqualTo(RestStatus.CREATED);

        assertThat(items[1].isFailed()).isTrue();
        assertThat(items[1].getFailure().getStatus()).isEqualTo(RestStatus.CONFLICT);
        assertThat(items[1].getFailure().getCause().getMessage()).startsWith("version_conflict_engine_exception: [a]: version conflict");

        assertThat(items[2].getFailure().getStatus()).isEqualTo(RestStatus.BAD_REQUEST);
        assertThat(items[2].getOpType()).isEqualTo(DocWriteRequest.OpType.INDEX);
        assertThat(items[2].getFailure().getCause().getMessage())
                .contains("failed to parse field [x] of type [long]").contains("(caused by illegal_argument_exception: Cannot parse object as number)");
        assertThat(items[3].getFailure().getId()).isEqualTo("b");
        assertThat(items[3].getItemId()).isEqualTo(3);
    }

    @Test
    void anAnswerThatDoesNotMatchTheRequestsIsRefused() throws Exception {
        assertThatThrownBy(() -> RestBulkCall.parse(JSON.readTree("{\"took\":1,\"errors\":false,\"items\":[]}"), REQUESTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4 items, got 0");
        assertThatThrownBy(() -> RestBulkCall.parse(JSON.readTree("{\"error\":\"no\"}"), REQUESTS))
                .hasMessageContaining("got none");
    }

    @Test
    void onlyIndexAndCreateRequestsAreSent() {
        assertThatThrownBy(() -> RestBulkCall.body(List.of(new org.elasticsearch.action.delete.DeleteRequest("t1", "a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DELETE");
    }
}
