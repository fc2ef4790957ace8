// The server serves node_modules/uplot/dist/uPlot.esm.js at ./vendor/uPlot.esm.js; its types are the package's.
import uPlot from "uplot";
export default uPlot;
