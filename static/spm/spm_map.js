/* Client side of geo/maps.py (static-geometry layers). Plain ES5 + fetch + DecompressionStream.
 *
 * Geometry files (geo/webgeom.py, "spm-webgeom/1", gzip) are fetched once per page and kept
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

  /* Polygons of a static file, filled by class (spec from geo.maps._StaticPolygons).
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
      for (var i = 0; i < geom.codes.length; i++) {
        var k = classOf(spec.cls, i);
        if (k < 0) continue;
        var style = {
          fillColor: spec.palette[k],
          fillOpacity: spec.fill_opacity,
          color: spec.line.color,
          weight: spec.line.weight,
          opacity: spec.line.opacity,
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
        e.layer.setStyle(spec.line);
        e.layer.bringToBack();
      });
      group.addLayer(inner);
      // the shapes arrive after the rest of the update (points, outlines drawn on the same
      // canvas): put them at the back, so everything else shows and takes the mouse
      for (var b = layers.length - 1; b >= 0; b--) layers[b].bringToBack();
      group._spmPending = false;
      group.fire("spm:drawn", {count: layers.length});
      return layers.length;
    });
  };

  var svgRenderers = {};
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
      group.addLayer(lines);
      bindTooltip(lines, [{a: null, s: spec.name}], geom);
      labels.forEach(function (m) { group.addLayer(m); });
      group._spmPending = false;
      group.fire("spm:drawn", {count: outlines.length});
      return outlines.length;
    });
  };

  /* Canvas circle markers: spec.ll = [lat0*scale, lon0*scale, lat1*scale, ...] (integers),
   * or spec.url = a points file (geo/webpoints.py, same layout) and which of its points are
   * shown: spec.at (first position, then the gaps between sorted positions), spec.sel (a
   * class table, "-" = not shown) or neither (all; a file published for this layer by
   * geo.maps.publish_points); the file's tooltip columns are named
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

  /* Fit the map to bounds once per distinct view (not again on a restyle). */
  var lastFit = null;
  spm.fit = function (group, bounds, opts) {
    whenAdded(group, function (map) {
      var key = JSON.stringify(bounds);
      if (key === lastFit) return;
      lastFit = key;
      map.fitBounds(bounds, L.extend({animate: false}, opts || {}));
    });
  };
})();
