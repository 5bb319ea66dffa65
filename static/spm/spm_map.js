/* Client side of the geo.web map layers (geo/web/). Plain ES5 + fetch + DecompressionStream.
 *
 * Geometry files (geo/web/staticgeom.py, "spm-webgeom/1", gzip) are fetched once per page and kept
 * decoded in memory; map layers are built from them with the compact tables that the map's
 * script passes in (classes, colours, escaped tooltip values). No data value is ever turned
 * into code: strings only reach the page as JSON and are inserted as HTML that Python has
 * already escaped.
 */
(function () {
  "use strict";
  if (window.spm && window.spm.load) return; // loaded again (the bundle and a plain link)
  var spm = (window.spm = window.spm || {});
  var files = {};
  var pointPools = {}; // canvas markers by content (spm.points)

  /* Shapes are decoded when first drawn (a one-borough map decodes only its own areas) into
   * [lat, lng] arrays, so decoding needs no Leaflet (this file may load before it). */
  function decode(doc) {
    if (doc.format === "spm-webpoints/1") return doc; // points: used as they are
    var s = doc.scale;
    var raw = doc.geometry;
    var shapes = new Array(raw.length);
    var index = {};
    doc.codes.forEach(function (c, i) {
      index[c] = i;
    });
    function shape(i) {
      if (!shapes[i]) {
        shapes[i] = raw[i].map(function (rings) {
          return rings.map(function (r) {
            var out = new Array(r.length / 2);
            var x = 0;
            var y = 0;
            for (var k = 0, j = 0; k < r.length; k += 2, j++) {
              x += r[k];
              y += r[k + 1];
              out[j] = [y / s, x / s];
            }
            return out;
          });
        });
      }
      return shapes[i];
    }
    return {
      codes: doc.codes,
      index: index,
      columns: doc.columns || {},
      labels: doc.labels || null,
      shape: shape,
    };
  }

  /* The decoded geometry file at url (a Promise, fetched once per page). */
  spm.load = function (url) {
    if (!files[url]) {
      files[url] = fetch(url)
        .then(function (resp) {
          if (!resp.ok) throw new Error("map geometry " + url + ": HTTP " + resp.status);
          var body = resp.body.pipeThrough(new DecompressionStream("gzip"));
          return new Response(body).json();
        })
        .then(decode);
      files[url].catch(function (err) {
        delete files[url];
        console.error(err);
      });
    }
    return files[url];
  };

  /* Start fetching the files named in this script's ?prefetch= (comma-separated), while
   * Leaflet and the map script are still loading. */
  (function () {
    var src = document.currentScript && document.currentScript.src;
    if (!src) return;
    var list = new URL(src, window.location.href).searchParams.get("prefetch");
    if (list) list.split(",").forEach(function (url) { if (url) spm.load(url); });
  })();

  /* Class of feature i: a string of chars (48 + class, "-" = not shown) or a list (-1). */
  function classOf(cls, i) {
    if (typeof cls === "string") {
      var c = cls.charCodeAt(i);
      return c === 45 ? -1 : c - 48;
    }
    return cls[i];
  }

  /* Tooltip HTML of feature (file index i, shown index j). Values are escaped in Python. */
  function tooltipHtml(fields, geom, i, j) {
    var rows = "";
    for (var k = 0; k < fields.length; k++) {
      var f = fields[k];
      var v;
      if (f.s !== undefined) v = geom.columns[f.s][i];
      else if (f.d !== undefined) v = f.d[f.i[j]];
      else v = f.v[j];
      rows += f.a === null ? "<div>" + v + "</div>" : "<tr><th>" + f.a + "</th><td>" + v + "</td></tr>";
    }
    return fields.length && fields[0].a === null ? rows : '<table class="spm-tt">' + rows + "</table>";
  }
  spm.tooltipHtml = tooltipHtml;

  function bindTooltip(group, fields, geom, opts) {
    if (!fields || !fields.length) return;
    group.bindTooltip(
      function (layer) {
        return tooltipHtml(fields, geom, layer._spmI, layer._spmJ);
      },
      L.extend({sticky: true, className: "spm-tooltip"}, opts || {})
    );
  }

  function whenAdded(group, fn) {
    if (group._map) fn(group._map);
    else group.once("add", function () { fn(group._map); });
  }

  /* Polygons of a static file, filled by class (spec from geo.web.elements.StaticPolygons).
   * The polygon objects of a layer (spec.url + spec.key) are made once and re-used by every
   * update of that layer: an update restyles them and moves them into its own group (the
   * previous group has already been taken off the map by streamlit-folium). */
  var pools = {};
  spm.polygons = function (group, spec) {
    group._spmPending = true;
    return spm.load(spec.url).then(function (geom) {
      var pool = pools[spec.url + "|" + spec.key];
      if (!pool) pool = pools[spec.url + "|" + spec.key] = new Array(geom.codes.length);
      var inner = L.featureGroup();
      var layers = [];
      var j = 0;
      // classes drawn with a dark outline (spec.strong: palette indices), so their meaning
      // does not rest on colour alone
      var strong = {};
      for (var s = 0; s < (spec.strong || []).length; s++) strong[spec.strong[s]] = true;
      for (var i = 0; i < geom.codes.length; i++) {
        var k = classOf(spec.cls, i);
        if (k < 0) continue;
        var line = strong[k] ? spec.strong_line : spec.line;
        var style = {
          fillColor: spec.palette[k],
          fillOpacity: spec.fill_opacity,
          color: line.color,
          weight: line.weight,
          opacity: line.opacity,
        };
        var p = pool[i];
        if (!p) {
          p = pool[i] = L.polygon(geom.shape(i), style);
          p._spmI = i;
          p._spmCode = geom.codes[i];
        } else {
          if (p._spmGroup) p._spmGroup.removeLayer(p);
          L.setOptions(p, style);
        }
        p._spmJ = j++;
        p._spmLine = line;
        p._spmGroup = inner;
        layers.push(p);
      }
      for (var n = 0; n < layers.length; n++) inner.addLayer(layers[n]);
      bindTooltip(inner, spec.fields, geom);
      inner.on("mouseover", function (e) {
        e.layer.setStyle({color: "#000000", weight: 2, opacity: 1});
        e.layer.bringToFront();
      });
      inner.on("mouseout", function (e) {
        e.layer.setStyle(e.layer._spmLine || spec.line);
        e.layer.bringToBack();
      });
      group.addLayer(inner);
      // the shapes arrive after the rest of the update (points, outlines drawn on the same
      // canvas): put them at the back, so everything else shows and takes the mouse; on the
      // canvas, outlined classes just above the others so their whole outline shows
      for (var b = layers.length - 1; b >= 0; b--) {
        if (layers[b]._spmLine === spec.strong_line) layers[b].bringToBack();
      }
      for (var c = layers.length - 1; c >= 0; c--) {
        if (layers[c]._spmLine !== spec.strong_line) layers[c].bringToBack();
      }
      group._spmPending = false;
      group.fire("spm:drawn", {count: layers.length});
      return layers.length;
    });
  };

  var svgRenderers = {};
  function untab(layer) {
    var el = layer.getElement && layer.getElement();
    if (el) el.setAttribute("tabindex", "-1");
  }
  /* Borough outlines (SVG, in their own pane above the canvas) and name labels. */
  spm.outlines = function (group, spec) {
    group._spmPending = true;
    return spm.load(spec.url).then(function (geom) {
      var pane = spec.pane;
      if (!svgRenderers[pane]) svgRenderers[pane] = L.svg({pane: pane, padding: 0.5});
      var renderer = svgRenderers[pane];
      var outlines = [];
      var labels = [];
      var j = 0;
      var names = geom.columns[spec.name];
      for (var i = 0; i < geom.codes.length; i++) {
        var k = classOf(spec.cls, i);
        if (k < 0) continue;
        var hl = k === 1;
        var o = L.polygon(geom.shape(i), {
          fill: false,
          color: spec.color,
          opacity: 0.9,
          weight: hl ? spec.highlight_weight : spec.weight,
          pane: pane,
          renderer: renderer,
        });
        o._spmI = i;
        o._spmJ = j++;
        outlines.push(o);
        if (spec.labels && geom.labels) {
          labels.push(
            L.marker(geom.labels[i], {
              icon: L.divIcon({
                html: "<div>" + names[i] + "</div>",
                iconSize: [0, 0],
                iconAnchor: [0, 0],
                className: hl ? "spm-borough-label spm-hl" : "spm-borough-label",
              }),
              interactive: false,
              keyboard: false,
              pane: pane,
            })
          );
        }
      }
      var lines = L.featureGroup(outlines);
      // Chromium makes an SVG path with focus listeners (Leaflet's tooltips add them) a tab
      // stop: 33 unnamed stops before the map's controls. The names are on the map and are
      // read out with Enter (spm.a11y), so the outlines leave the tab order.
      lines.on("layeradd", function (e) { untab(e.layer); });
      outlines.forEach(function (o) { o.on("add", function () { untab(o); }); });
      group.addLayer(lines);
      bindTooltip(lines, [{a: null, s: spec.name}], geom);
      labels.forEach(function (m) { group.addLayer(m); });
      group._spmPending = false;
      group.fire("spm:drawn", {count: outlines.length});
      return outlines.length;
    });
  };

  /* Canvas circle markers: spec.ll = [lat0*scale, lon0*scale, lat1*scale, ...] (integers),
   * or spec.url = a points file (geo/web/staticpoints.py, same layout) and which of its points are
   * shown: spec.at (first position, then the gaps between sorted positions), spec.sel (a
   * class table, "-" = not shown) or neither (all; a file published for this layer by
   * geo.web.publish_points); the file's tooltip columns are named
   * by the fields' "s". Markers of the same content (spec.id) are made once and moved into
   * each update's group, so repeated updates do not pile up copies (streamlit-folium keeps
   * every old group). */
  function drawPoints(group, spec, doc) {
    var ll = doc ? doc.ll : spec.ll;
    var scale = doc ? doc.scale : spec.scale;
    var markers = pointPools[spec.id];
    if (!markers) {
      markers = [];
      var style = {
        radius: spec.radius,
        color: "#ffffff",
        weight: 1,
        fill: true,
        fillColor: spec.color,
        fillOpacity: 0.9,
      };
      var shown = []; // file positions of the points drawn, in file order
      var i;
      if (doc && spec.at) {
        for (var a = 0, p = 0; a < spec.at.length; a++) shown.push((p += spec.at[a]));
      } else {
        for (i = 0; i < ll.length / 2; i++) {
          if (!doc || spec.sel === undefined || classOf(spec.sel, i) >= 0) shown.push(i);
        }
      }
      for (var j = 0; j < shown.length; j++) {
        i = shown[j];
        var m = L.circleMarker([ll[2 * i] / scale, ll[2 * i + 1] / scale], style);
        m._spmI = i;
        m._spmJ = j;
        markers.push(m);
      }
      pointPools[spec.id || "points" + Math.random()] = markers;
    }
    var inner = L.featureGroup();
    for (var n = 0; n < markers.length; n++) {
      if (markers[n]._spmGroup) markers[n]._spmGroup.removeLayer(markers[n]);
      markers[n]._spmGroup = inner;
      inner.addLayer(markers[n]);
    }
    bindTooltip(inner, spec.fields, {columns: doc ? doc.columns : {}});
    group.addLayer(inner);
    return markers.length;
  }
  /* Resolves once layer is on a map and still there a moment later: a layer that starts
   * switched off is added and taken off again at once (spm.visibility), and its points file
   * is not fetched and decoded until the user switches it on. */
  function whenShown(layer) {
    return new Promise(function (resolve) {
      function check() {
        setTimeout(function () {
          setTimeout(function () {
            if (layer._map) resolve();
            else layer.once("add", check);
          }, 0);
        }, 0);
      }
      if (layer._map) check();
      else layer.once("add", check);
    });
  }
  spm.points = function (group, spec) {
    if (!spec.url) return drawPoints(group, spec, null);
    return whenShown(group)
      .then(function () {
        return spm.load(spec.url);
      })
      .then(function (doc) {
        return drawPoints(group, spec, doc);
      });
  };

  /* Layer visibility across map updates. streamlit-folium replaces every overlay group (and
   * the layer control) when the selection changes; a layer the user switched on or off in
   * the layer control keeps that choice in its replacement (same name), others start as
   * their map says (show). A group that should be off takes itself off right after
   * streamlit-folium adds it. Choices last as long as the map frame. */
  var choices = {}; // layer name -> checked, from the user's clicks in the layer control
  var groupNames = {}; // Leaflet id of a group -> its layer name
  spm.visibility = function (group, name, show) {
    installHooks();
    whenAdded(group, enhanceMap); // a map made before the hooks were installed
    groupNames[L.stamp(group)] = name;
    var on = Object.prototype.hasOwnProperty.call(choices, name) ? choices[name] : show;
    if (on) return;
    function off() {
      setTimeout(function () {
        if (group._map) group._map.removeLayer(group);
      }, 0);
    }
    // a shown group has already added itself; streamlit-folium adds the others next
    if (group._map) off();
    else group.once("add", off);
  };
  spm.choices = choices;
  document.addEventListener(
    "change",
    function (e) {
      var t = e.target;
      if (!t || !t.classList || !t.classList.contains("leaflet-control-layers-selector")) return;
      var name = groupNames[t.layerId];
      if (name !== undefined && t.type === "checkbox") choices[name] = t.checked;
    },
    true
  );

  /* ------------------------------------------------------------------------------------
   * Keyboard and screen reader use of the map (WCAG 2.1.1, 2.4.7, 4.1.2).
   *
   * Leaflet's own keyboard handler pans (arrow keys) and zooms (+ and -) a focused map. On
   * top of it: the map is a named region that says how to use it; a ring marks its centre
   * while it has keyboard focus, and Enter (or Space) there reads out what is under the
   * ring (the text of the hover tooltips) in a box that is also a live region; the
   * layer list opens with Enter or Space, takes the focus, and closes with Escape or when
   * the focus leaves it. Runs for every map made after Leaflet loads (an init hook), and
   * for a map already made once its first layer group is added (spm.a11y).
   * ------------------------------------------------------------------------------------ */
  var A11Y_CSS =
    ".leaflet-container:focus{outline:none}" +
    ".leaflet-container:focus-visible{outline:3px solid #0b0c0c;outline-offset:-3px;" +
    "box-shadow:inset 0 0 0 6px #ffdd00}" +
    ".leaflet-container:focus-visible::after{content:'';position:absolute;left:50%;top:50%;" +
    "width:22px;height:22px;margin:-13px 0 0 -13px;border:2px solid #0b0c0c;border-radius:50%;" +
    "box-shadow:0 0 0 2px #fff,inset 0 0 0 2px #fff;z-index:1000;pointer-events:none}" +
    ".leaflet-control a:focus-visible,.leaflet-control input:focus-visible," +
    ".leaflet-control-layers-toggle:focus-visible{outline:3px solid #0b0c0c;" +
    "outline-offset:1px;box-shadow:0 0 0 5px #ffdd00}" +
    ".spm-map-live:not(:empty){position:absolute;left:8px;bottom:26px;z-index:1000;" +
    "max-width:min(440px,85%);background:#fff;color:#0b0c0c;border:2px solid #0b0c0c;" +
    "padding:4px 8px;font:13px/1.4 Arial,Helvetica,sans-serif}" +
    // a narrow map (a phone, or 200-400% zoom): the legend in two columns, so it does not
    // cover the map, and the scale bar above the attribution instead of under it
    "@media (max-width:480px){.spm-legend{display:grid;grid-template-columns:auto auto;" +
    "column-gap:8px;font-size:11px;line-height:1.25;max-width:70%}" +
    ".spm-legend-title,.spm-legend-note,.spm-bivar{grid-column:1/-1}" +
    ".leaflet-bottom.leaflet-left .leaflet-control-scale{margin-bottom:44px}}" +
    ".spm-sr{position:absolute!important;width:1px!important;height:1px!important;" +
    "margin:-1px!important;padding:0!important;overflow:hidden!important;" +
    "clip:rect(0 0 0 0)!important;white-space:nowrap!important;border:0!important}";
  var HELP =
    "Map. Arrow keys move the map, plus and minus zoom in and out. Press Enter to hear " +
    "what is at the centre of the map (marked by a ring) in a box at its foot. Tab moves on to the zoom buttons " +
    "and the layer list. The text and the table next to the map give the same information.";

  function addStyle() {
    if (document.getElementById("spm-a11y-css")) return;
    var style = document.createElement("style");
    style.id = "spm-a11y-css";
    style.textContent = A11Y_CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  /* Text of a tooltip bound to layer or to one of the groups it belongs to, or "". */
  function tooltipText(layer) {
    var owners = [layer];
    for (var id in layer._eventParents || {}) owners.push(layer._eventParents[id]);
    for (var k = 0; k < owners.length; k++) {
      var tip = owners[k].getTooltip && owners[k].getTooltip();
      if (!tip) continue;
      var content = tip._content;
      var html = typeof content === "function" ? content(layer) : content;
      if (html && html.nodeType) return html.textContent;
      var div = document.createElement("div");
      div.innerHTML = String(html || ""); // escaped in Python, as the tooltip shows it
      var rows = div.querySelectorAll("tr");
      if (!rows.length) return div.textContent.trim();
      var parts = [];
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].children;
        parts.push(cells.length > 1 ? cells[0].textContent + ": " + cells[1].textContent
                                    : rows[r].textContent);
      }
      return parts.join("; ");
    }
    return "";
  }

  /* What is under the map's centre: points first, then areas, then outlines. */
  function describeCentre(map) {
    var centre = map.getSize().divideBy(2);
    var layerPoint = map.containerPointToLayerPoint(centre);
    var found = [];
    map.eachLayer(function (l) {
      if (!(l instanceof L.Path) || !l._containsPoint || l.options.interactive === false) return;
      if (!l._pxBounds && !(l instanceof L.CircleMarker)) return;
      var inside = false;
      try {
        inside = l._containsPoint(layerPoint);
      } catch (err) {
        inside = false;
      }
      if (!inside) return;
      var text = tooltipText(l);
      if (!text) return;
      var rank = l instanceof L.CircleMarker ? 0 : l.options.fill === false ? 2 : 1;
      found.push({rank: rank, text: text});
    });
    found.sort(function (a, b) { return a.rank - b.rank; });
    var seen = {};
    var texts = [];
    for (var i = 0; i < found.length && texts.length < 4; i++) {
      if (seen[found[i].text]) continue;
      if (found[i].rank === 2 && texts.join(" ").indexOf(found[i].text) >= 0) continue;
      seen[found[i].text] = true;
      texts.push(found[i].text);
    }
    return texts;
  }

  function enhanceMap(map) {
    if (map._spmA11y) return;
    map._spmA11y = true;
    addStyle();
    var box = map.getContainer();
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", "Interactive map");
    if (box.tabIndex < 0 || !box.hasAttribute("tabindex")) box.tabIndex = 0;
    var help = L.DomUtil.create("div", "spm-sr", box);
    help.id = "spm-map-help-" + L.stamp(map);
    help.textContent = HELP;
    var live = L.DomUtil.create("div", "spm-map-live", box);
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    box.setAttribute("aria-describedby", help.id);
    if (window.frameElement) {
      try {
        // the frame's accessible name (its title, "streamlit_folium.st_folium", says nothing)
        window.frameElement.setAttribute(
          "aria-label",
          "Interactive map: arrow keys pan, plus and minus zoom, Enter reads the centre"
        );
      } catch (err) { /* another origin: keep the frame's own title */ }
    }
    L.DomEvent.on(box, "keydown", function (e) {
      if (e.target !== box) return; // a control inside the map has the focus
      if (e.key !== "Enter" && e.key !== " " && e.key !== "Spacebar") return;
      L.DomEvent.preventDefault(e);
      var texts = describeCentre(map);
      live.textContent = texts.length
        ? "At the centre of the map: " + texts.join(". ")
        : "Nothing drawn at the centre of the map.";
    });
    map.on("movestart", function () { live.textContent = ""; });
    L.DomEvent.on(box, "blur", function () { live.textContent = ""; });
  }
  spm.a11y = enhanceMap;

  function enhanceLayerControl(ctrl) {
    var box = ctrl._container;
    var link = ctrl._layersLink;
    var section = ctrl._section;
    if (!box || !link || box._spmA11y) return;
    box._spmA11y = true;
    link.setAttribute("aria-label", "Map layers: show or hide layers");
    link.removeAttribute("title");
    if (section) {
      section.id = section.id || "spm-layers-" + L.stamp(ctrl);
      section.setAttribute("role", "group");
      section.setAttribute("aria-label", "Map layers");
      link.setAttribute("aria-controls", section.id);
    }
    function sync() {
      link.setAttribute(
        "aria-expanded",
        String(L.DomUtil.hasClass(box, "leaflet-control-layers-expanded"))
      );
    }
    sync();
    var expand = ctrl.expand;
    var collapse = ctrl.collapse;
    ctrl.expand = function () { var r = expand.apply(this, arguments); sync(); return r; };
    ctrl.collapse = function () { var r = collapse.apply(this, arguments); sync(); return r; };
    if (!ctrl.options.collapsed) return;
    L.DomEvent.on(link, "keydown", function (e) {
      if (e.key !== "Enter" && e.key !== " " && e.key !== "Spacebar") return;
      L.DomEvent.preventDefault(e);
      ctrl.expand();
      // Leaflet's own Enter handler opens the list "safely": clicks inside it are ignored
      // until a timer runs (for touch, where the tap that opened it would also hit an input).
      // A key pressed next is not that tap, and the timer can be late on a busy page, so the
      // first Space on a layer was lost: lift the guard now.
      if (ctrl._preventClick && section) {
        ctrl._preventClick = false;
        L.DomEvent.off(section, "click", L.DomEvent.preventDefault);
      }
      var first = box.querySelector("input");
      if (first) first.focus();
    });
    L.DomEvent.on(box, "keydown", function (e) {
      if (e.key !== "Escape" && e.key !== "Esc") return;
      ctrl.collapse();
      link.focus();
    });
    L.DomEvent.on(box, "focusout", function (e) {
      var next = e.relatedTarget;
      if (next && box.contains(next)) return;
      if (next === link) return;
      ctrl.collapse();
    });
  }
  spm.a11yLayers = enhanceLayerControl;

  /* Leaflet is defined by the end of the script that holds this file (the bundle, see
   * geo/web/jsbundle.py): install the hooks before any map is made. */
  function installHooks() {
    if (!window.L || !L.Map || L.Map._spmA11yHook) return !!(window.L && L.Map);
    L.Map._spmA11yHook = true;
    L.Map.addInitHook(function () { enhanceMap(this); });
    var initLayout = L.Control.Layers.prototype._initLayout;
    L.Control.Layers.prototype._initLayout = function () {
      var out = initLayout.apply(this, arguments);
      enhanceLayerControl(this);
      return out;
    };
    return true;
  }
  Promise.resolve().then(installHooks);

  /* Fit the map to bounds once per distinct view (not again on a restyle). */
  var lastFit = null;
  spm.fit = function (group, bounds, opts) {
    installHooks();
    whenAdded(group, function (map) {
      enhanceMap(map);
      var key = JSON.stringify(bounds);
      if (key === lastFit) return;
      lastFit = key;
      map.fitBounds(bounds, L.extend({animate: false}, opts || {}));
    });
  };
})();
