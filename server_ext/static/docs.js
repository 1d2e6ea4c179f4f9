/* Swagger UI for the researcher API: reads the spec URL from the page, sends Jupyter's XSRF token. */
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  function xsrf() {
    var match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    requestInterceptor: function (request) {
      request.headers["X-XSRFToken"] = xsrf();
      return request;
    },
  });
});
