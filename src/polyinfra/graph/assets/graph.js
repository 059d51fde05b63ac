// Draws the graph polyinfra wrote into #graph-data as SVG: dagre lays it out, this script
// draws every node, edge and group as SVG elements. Text from the workspace only ever goes
// into textContent or attribute values, never into markup.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var svg = document.getElementById("graph");
  var COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
  var colourOf = {};
  data.stacks.forEach(function (stack, index) {
    colourOf[stack] = COLOURS[index % COLOURS.length];
  });

  function el(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, String(attributes[key]));
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, value, attributes) {
    var node = el("text", attributes, parent);
    node.textContent = value;
    return node;
  }

  var ruler = text(svg, "", { class: "name" });
  function width(value, className) {
    ruler.setAttribute("class", className);
    ruler.textContent = value;
    return ruler.getComputedTextLength();
  }

  // the layout: a compound graph, one cluster per stack and per environment inside it
  var g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 80, edgesep: 10, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(function () { return {}; });
  var clusters = {};
  function cluster(stack, env) {
    var id = env === null ? "stack\u0000" + stack : "env\u0000" + stack + "\u0000" + env;
    if (!clusters[id]) {
      clusters[id] = { stack: stack, env: env, depth: env === null ? 0 : 1 };
      g.setNode(id, { clusterId: id });
      if (env !== null) g.setParent(id, cluster(stack, null));
    }
    return id;
  }
  var nodesById = {};
  data.nodes.forEach(function (node) {
    nodesById[node.id] = node;
    var w = Math.max(width(node.label, "name"), width(node.caption, "kind")) + 24;
    g.setNode(node.id, { width: w, height: 40 });
    g.setParent(node.id, cluster(node.stack, node.env));
  });
  data.edges.forEach(function (edge) {
    g.setEdge(edge.source, edge.target, {
      label: edge.label, width: width(edge.label, "edge-label") + 6, height: 14, labelpos: "c",
    }, edge.id);
  });
  svg.removeChild(ruler);
  dagre.layout(g);

  var defs = el("defs", {}, svg);
  [["arrow", "#555"], ["arrow-broken", "#d62728"]].forEach(function (pair) {
    var marker = el("marker", {
      id: pair[0], viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: "auto-start-reverse",
    }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: pair[1] }, marker);
  });
  var view = el("g", { id: "view" }, svg);
  var groupLayer = el("g", { class: "groups" }, view);
  var edgeLayer = el("g", { class: "edges" }, view);
  var nodeLayer = el("g", { class: "nodes" }, view);

  // groups: the rectangle dagre gives each cluster; a stack's title at its top left, an
  // environment's at its top right (the two rectangles' tops are close)
  Object.keys(clusters).sort(function (a, b) {
    return clusters[a].depth - clusters[b].depth;
  }).forEach(function (id) {
    var info = clusters[id];
    var box = g.node(id);
    var left = box.x - box.width / 2;
    var top = box.y - box.height / 2;
    var group = el("g", {
      class: "group depth-" + info.depth, "data-stack": info.stack, "data-env": info.env || "",
    }, groupLayer);
    el("rect", {
      x: left, y: top, width: box.width, height: box.height, rx: 8,
      stroke: colourOf[info.stack], fill: colourOf[info.stack],
    }, group);
    if (info.env === null) {
      text(group, info.stack, { class: "group-title", x: left + 8, y: top + 15 });
    } else {
      text(group, info.env, {
        class: "group-title env-title", x: left + box.width - 8, y: top + 15,
      });
    }
  });

  var edgeElements = [];
  data.edges.forEach(function (edge) {
    var laid = g.edge(edge.source, edge.target, edge.id);
    var group = el("g", {
      class: edge.broken ? "edge broken" : "edge", "data-id": edge.id,
      "data-source": edge.source, "data-target": edge.target, "data-kind": edge.kind,
    }, edgeLayer);
    var lines = [edge.label + (edge.env ? " (" + edge.env + ")" : "")];
    edge.findings.forEach(function (finding) {
      lines.push(finding.rule + " (" + finding.level + ") at " + finding.position + ": " +
        finding.message);
    });
    el("title", {}, group).textContent = lines.join("\n");
    var points = laid.points.map(function (p) { return p.x + "," + p.y; });
    el("path", {
      d: "M" + points.join(" L"), fill: "none",
      "marker-end": edge.broken ? "url(#arrow-broken)" : "url(#arrow)",
    }, group);
    text(group, edge.label, { class: "edge-label", x: laid.x, y: laid.y + 4 });
    edgeElements.push({ edge: edge, element: group });
  });

  var nodeElements = {};
  data.nodes.forEach(function (node) {
    var laid = g.node(node.id);
    var group = el("g", {
      class: "node kind-" + node.kind + (node.declared ? "" : " undeclared"),
      "data-id": node.id, "data-stack": node.stack, transform:
        "translate(" + (laid.x - laid.width / 2) + "," + (laid.y - laid.height / 2) + ")",
    }, nodeLayer);
    el("title", {}, group).textContent = node.caption + ": " + node.name +
      (node.env ? " (" + node.env + ")" : "");
    el("rect", {
      width: laid.width, height: laid.height, rx: node.kind === "app" ? 20 : 6,
      stroke: colourOf[node.stack],
    }, group);
    text(group, node.label, { class: "name", x: 12, y: 17 });
    text(group, node.caption, { class: "kind", x: 12, y: 32 });
    group.addEventListener("click", function (event) {
      event.stopPropagation();
      select(node.id);
    });
    nodeElements[node.id] = group;
  });

  var size = g.graph();
  svg.setAttribute("viewBox", "0 -20 " + Math.ceil(size.width) + " " + Math.ceil(size.height + 20));

  // legend: the stacks' colours, and how a broken edge and a missing node look
  var legend = document.getElementById("legend");
  data.stacks.forEach(function (stack) {
    var item = document.createElement("span");
    item.className = "legend-stack";
    var swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colourOf[stack];
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(stack));
    legend.appendChild(item);
  });
  [["legend-broken", "broken link (hover it for the finding)"],
    ["legend-undeclared", "named, but no stack creates it"]].forEach(function (pair) {
    var item = document.createElement("span");
    item.className = pair[0];
    item.textContent = pair[1];
    legend.appendChild(item);
  });
  var broken = data.edges.filter(function (edge) { return edge.broken; }).length;
  document.getElementById("summary").textContent = data.nodes.length + " nodes, " +
    data.edges.length + " edges, " + broken + " broken";

  // click a node: it and its neighbours stand out; click the background: all again
  var selected = null;
  function select(id) {
    selected = selected === id ? null : id;
    var near = {};
    if (selected !== null) {
      near[selected] = true;
      edgeElements.forEach(function (item) {
        if (item.edge.source === selected) near[item.edge.target] = true;
        if (item.edge.target === selected) near[item.edge.source] = true;
      });
    }
    Object.keys(nodeElements).forEach(function (nodeId) {
      var element = nodeElements[nodeId];
      element.classList.toggle("selected", nodeId === selected);
      element.classList.toggle("neighbour", selected !== null && nodeId !== selected &&
        near[nodeId] === true);
      element.classList.toggle("faded", selected !== null && near[nodeId] !== true);
    });
    edgeElements.forEach(function (item) {
      var touches = item.edge.source === selected || item.edge.target === selected;
      item.element.classList.toggle("active", selected !== null && touches);
      item.element.classList.toggle("faded", selected !== null && !touches);
    });
  }
  svg.addEventListener("click", function () { if (selected !== null) select(selected); });

  // search: nodes whose name holds the text are marked, the others fade
  var search = document.getElementById("search");
  search.addEventListener("input", function () {
    var query = search.value.trim().toLowerCase();
    var hits = 0;
    Object.keys(nodeElements).forEach(function (nodeId) {
      var node = nodesById[nodeId];
      var hit = query !== "" && (node.name.toLowerCase().indexOf(query) >= 0 ||
        node.label.toLowerCase().indexOf(query) >= 0);
      if (hit) hits += 1;
      nodeElements[nodeId].classList.toggle("match", hit);
      nodeElements[nodeId].classList.toggle("unmatched", query !== "" && !hit);
    });
    edgeElements.forEach(function (item) {
      var shown = query === "" || nodeElements[item.edge.source].classList.contains("match") ||
        nodeElements[item.edge.target].classList.contains("match");
      item.element.classList.toggle("unmatched", !shown);
    });
    document.getElementById("matches").textContent = query === "" ? "" : hits + " found";
  });
  document.body.setAttribute("data-drawn", "true");
})();
