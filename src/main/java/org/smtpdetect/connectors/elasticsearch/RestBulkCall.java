package org.smtpdetect.connectors.elasticsearch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NByteArrayEntity;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkRequest;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.index.IndexRequest;
import org.elasticsearch.action.index.IndexResponse;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;
import org.elasticsearch.common.bytes.BytesReference;
import org.elasticsearch.index.shard.ShardId;
import org.elasticsearch.rest.RestStatus;

/**
 * The bulk call behind the connector's {@code BulkProcessor}: the request as plain NDJSON through the low-level
 * REST client, the response read with Jackson. The high-level 7.10 client the connector is built on cannot read
 * 8.x and 9.x bulk responses and 9.x refuses its compatibility headers; the {@code _bulk} wire format itself is the
 * same from 7.17 to 9.x (7.x adds {@code _type}, which is ignored). The bulk processor, the connector's
 * flush-on-checkpoint and its failure handler stay as they are.
 *
 * <p>Every outcome is also reported to the {@link OutageMonitor}, which says in one line when Elasticsearch
 * becomes unreachable and when it is back.
 */
final class RestBulkCall implements BiConsumer<BulkRequest, ActionListener<BulkResponse>> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();
    private static final ContentType NDJSON = ContentType.create("application/x-ndjson");

    private final RestClient client;
    private final OutageMonitor monitor;
    private final RetryQueue retries;

    RestBulkCall(RestClient client, OutageMonitor monitor, RetryQueue retries) {
        this.client = client;
        this.monitor = monitor;
        this.retries = retries;
    }

    @Override
    public void accept(BulkRequest bulk, ActionListener<BulkResponse> done) {
        Request request = new Request("POST", "/_bulk");
        try {
            request.setEntity(new NByteArrayEntity(body(bulk.requests()), NDJSON));
        } catch (IOException | RuntimeException e) {
            done.onFailure(e instanceof Exception ? (Exception) e : new IOException(e));
            return;
        }
        client.performRequestAsync(request, new ResponseListener() {
            @Override
            public void onSuccess(Response response) {
                BulkResponse parsed;
                try (InputStream in = response.getEntity().getContent()) {
                    parsed = parse(JSON.readTree(in), bulk.requests());
                } catch (IOException | RuntimeException e) {
                    done.onFailure(new IOException("unreadable bulk response from " + response.getHost() + ": " + e.getMessage(), e));
                    return;
                }
                BulkItemResponse[] items = parsed.getItems();
                for (int i = 0; i < items.length; i++) {
                    if (!items[i].isFailed()) retries.settled(bulk.requests().get(i));
                }
                // Failed items are settled or scheduled again by the failure handler, inside onResponse.
                done.onResponse(parsed);
                monitor.bulkAnswered(parsed);
            }

            @Override
            public void onFailure(Exception e) {
                done.onFailure(e);
                monitor.bulkFailed(e);
            }
        });
    }

    /** The NDJSON body: an action line and a source line per request. */
    static byte[] body(List<DocWriteRequest<?>> requests) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(requests.size() * 1024);
        for (DocWriteRequest<?> r : requests) {
            if (!(r instanceof IndexRequest)) throw new IllegalArgumentException("only index and create requests are sent, got " + r.opType());
            IndexRequest index = (IndexRequest) r;
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
                g.writeStartObject();
                g.writeObjectFieldStart(index.opType() == DocWriteRequest.OpType.CREATE ? "create" : "index");
                g.writeStringField("_index", index.index());
                if (index.id() != null) g.writeStringField("_id", index.id());
                if (index.routing() != null) g.writeStringField("routing", index.routing());
                if (index.getPipeline() != null) g.writeStringField("pipeline", index.getPipeline());
                g.writeEndObject();
                g.writeEndObject();
            }
            out.write('\n');
            out.write(singleLine(BytesReference.toBytes(index.source())));
            out.write('\n');
        }
        return out.toByteArray();
    }

    /** NDJSON needs the source on one line; documents from Jackson already are, anything else is re-encoded. */
    private static byte[] singleLine(byte[] source) throws IOException {
        for (byte b : source) {
            if (b == '\n' || b == '\r') return JSON.writeValueAsBytes(JSON.readTree(source));
        }
        return source;
    }

    /** The bulk response as the connector expects it: one item per request, in order. */
    static BulkResponse parse(JsonNode body, List<DocWriteRequest<?>> requests) {
        JsonNode items = body.path("items");
        if (!items.isArray() || items.size() != requests.size()) {
            throw new IllegalArgumentException("expected " + requests.size() + " items, got "
                    + (items.isArray() ? items.size() : "none") + ": " + abbreviate(body.toString()));
        }
        BulkItemResponse[] out = new BulkItemResponse[items.size()];
        for (int i = 0; i < out.length; i++) {
            DocWriteRequest<?> request = requests.get(i);
            JsonNode item = items.get(i).elements().next();
            int status = item.path("status").asInt(500);
            String index = item.path("_index").asText(request.index());
            String id = item.path("_id").asText(request.id());
            JsonNode error = item.get("error");
            if (error == null && status < 300) {
                IndexResponse ok = new IndexResponse(new ShardId(index, "_na_", 0), "_doc", id,
                        item.path("_seq_no").asLong(-2), item.path("_primary_term").asLong(0), item.path("_version").asLong(1),
                        "created".equals(item.path("result").asText()));
                out[i] = new BulkItemResponse(i, request.opType(), ok);
            } else {
                RestStatus restStatus = RestStatus.fromCode(status);
                out[i] = new BulkItemResponse(i, request.opType(), new BulkItemResponse.Failure(index, "_doc", id,
                        new ItemFailure(error), restStatus == null ? RestStatus.INTERNAL_SERVER_ERROR : restStatus));
            }
        }
        return new BulkResponse(out, body.path("took").asLong(0));
    }

    private static String abbreviate(String s) {
        return s.length() <= 500 ? s : s.substring(0, 500) + "...";
    }

    /** An item's error as Elasticsearch reported it: "type: reason (caused by type: reason)". */
    static final class ItemFailure extends Exception {
        private static final long serialVersionUID = 1L;

        ItemFailure(JsonNode error) {
            super(describe(error), null, false, false);
        }

        private static String describe(JsonNode error) {
            if (error == null || error.isNull()) return "failed without an error";
            if (!error.isObject()) return error.asText();
            StringBuilder s = new StringBuilder(error.path("type").asText("error")).append(": ").append(error.path("reason").asText(""));
            JsonNode cause = error.get("caused_by");
            for (int depth = 0; cause != null && cause.isObject() && depth < 3; depth++, cause = cause.get("caused_by")) {
                s.append(" (caused by ").append(cause.path("type").asText()).append(": ").append(cause.path("reason").asText()).append(')');
            }
            return s.toString();
        }
    }
}
