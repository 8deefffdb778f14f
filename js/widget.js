// The conversation widget's front-end (anywidget). Filled in by the notebook issue.
export default {
  render({ model, el }) {
    el.textContent = "nur-notebook conversation";
  },
};
