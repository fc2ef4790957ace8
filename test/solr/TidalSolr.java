// A standalone Solr node for the integration tests: Solr's own embedded Jetty runner on
// 127.0.0.1:<port> with context /solr, serving the Solr home given (solr.xml, security.json,
// configsets/). Compiled into the cache by scripts/services/solr.sh; not part of Tidal.
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class TidalSolr {
  public static void main(String[] args) throws Exception {
    JettyConfig config =
        JettyConfig.builder().setPort(Integer.parseInt(args[1])).setContext("/solr").stopAtShutdown(true).build();
    JettySolrRunner jetty = new JettySolrRunner(args[0], config);
    jetty.start();
    Thread.currentThread().join();
  }
}
