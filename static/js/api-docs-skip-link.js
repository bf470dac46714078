// The API docs page: Swagger UI routes by the URL's fragment (deep links to operations), so following the
// skip link's "#content" does not move the focus there as it does on every console page; do it here.
(function () {
  var link = document.querySelector(".skip-link");
  var content = document.getElementById("content");
  if (!link || !content) return;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    content.focus();
  });
})();
