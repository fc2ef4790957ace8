// A single OpenSearch node for the integration tests: OpenSearch's own Node with its HTTP
// transport (Netty4) and search templates (Mustache) loaded from the class path, as the modules/
// directory of a distribution would load them, plus BasicAuth below. Settings come from
// <home>/config/opensearch.yml. Compiled into the cache by scripts/services/opensearch.sh; not
// part of Tidal.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestHandler;
import org.opensearch.script.mustache.MustachePlugin;
import org.opensearch.transport.Netty4Plugin;

public class TidalOpenSearch {
  /** The security plugin's jars are not on Maven Central: this answers 401 unless the request
   *  carries the one user's basic credentials (from <home>/config/users, "user:password"). */
  public static class BasicAuth extends Plugin implements ActionPlugin {
    static String expected;

    @Override
    public UnaryOperator<RestHandler> getRestHandlerWrapper(ThreadContext threadContext) {
      return handler -> (request, channel, client) -> {
        String header = request.header("Authorization");
        if (expected != null && !expected.equals(header)) {
          BytesRestResponse response = new BytesRestResponse(RestStatus.UNAUTHORIZED, "application/json",
              "{\"error\":{\"type\":\"security_exception\",\"reason\":\"Unauthorized\"},\"status\":401}");
          response.addHeader("WWW-Authenticate", "Basic realm=\"OpenSearch Security\"");
          channel.sendResponse(response);
          return;
        }
        handler.handleRequest(request, channel, client);
      };
    }
  }

  static class TidalNode extends Node {
    TidalNode(Environment environment) {
      super(environment, List.of(Netty4Plugin.class, MustachePlugin.class, BasicAuth.class), true);
    }
  }

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Path users = home.resolve("config").resolve("users");
    if (Files.exists(users)) {
      String user = Files.readString(users, StandardCharsets.UTF_8).trim();
      BasicAuth.expected = "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8));
    }
    Settings settings = Settings.builder().put("path.home", home.toString()).build();
    Environment environment =
        InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> "tidal");
    Node node = new TidalNode(environment);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    node.start();
    Thread.currentThread().join();
  }
}
