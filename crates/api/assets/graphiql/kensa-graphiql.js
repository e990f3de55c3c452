// Starts GraphiQL on /graphql. A separate file, not an inline script, so that the page's
// Content-Security-Policy can allow scripts from this origin only.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      // Signed-in calls need `Authorization: Bearer <access token>` in the headers pane.
      defaultEditorToolsVisibility: 'headers',
      defaultHeaders: '{\n  "Authorization": "Bearer <access token>"\n}',
    })
  );
})();
